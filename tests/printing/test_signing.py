"""The school's signature on a transcript: made, checked, and refused on any other file."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from printing.signing import SigningKey, fingerprint, new_school_key, sign_pdf, verify_pdf
from printing.transcript import SubjectLine, Transcript, YearRecord, render

PASSPHRASE = b"mat khau cua truong"
SIGNED_AT = datetime(2026, 6, 15, 8, 30, tzinfo=timezone(timedelta(hours=7)))
SCHOOL = "Trường THPT Chu Văn An"


@dataclass(frozen=True)
class Issued:
    key: SigningKey
    other: SigningKey
    pdf: bytes
    signed: bytes


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    """The last signature's /ByteRange: what its hash covers (all but the /Contents string)."""
    *_, found = re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    start, end1, start2, length2 = (int(group) for group in found.groups())
    return start, end1, start2, length2


def _flip(pdf: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(pdf)
    changed[position] ^= mask
    return bytes(changed)


@pytest.fixture(scope="module")
def issued() -> Issued:
    """Keys made once for the module: a school's (with a passphrase) and another school's."""
    year = YearRecord(
        school_year="2025-2026",
        grade=10,
        class_name="10A1",
        school=SCHOOL,
        subjects=[SubjectLine("Toán", "8,3", "8,9", "8,7", "Tiến bộ.")],
        level_first="Khá",
        level_second="Tốt",
        level_year="Tốt",
        retakes=[],
        homeroom_comment="Chăm ngoan.",
        homeroom_teacher="Nguyễn Thị Hoa",
        principal="Trần Văn Bình",
    )
    pdf = render(Transcript("Lê Thị Ánh Tuyết", "0110012345", "03/09/2010", SCHOOL, [year], "HB-1", "15/06/2026", "A"))
    key = new_school_key(SCHOOL, "Sở GD&ĐT Hà Nội", passphrase=PASSPHRASE)
    other = new_school_key("Trường THPT Khác", "Sở GD&ĐT Hà Nội")
    signed = sign_pdf(pdf, key, reason="Cấp học bạ số", location="Hà Nội", passphrase=PASSPHRASE, signed_at=SIGNED_AT)
    return Issued(key=key, other=other, pdf=pdf, signed=signed)


# --- keys -------------------------------------------------------------------------------------


def test_a_new_key_is_p256_with_a_self_signed_certificate_for_signing_documents(issued):
    certificate = x509.load_pem_x509_certificate(issued.key.cert_pem)
    key = serialization.load_pem_private_key(issued.key.key_pem, password=PASSPHRASE)

    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert certificate.public_key() == key.public_key()
    assert certificate.subject == certificate.issuer
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == SCHOOL
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Sở GD&ĐT Hà Nội"
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3650, minutes=10)


def test_the_key_is_encrypted_only_with_a_passphrase(issued):
    assert b"ENCRYPTED" in issued.key.key_pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(issued.key.key_pem, password=None)
    assert b"ENCRYPTED" not in issued.other.key_pem


def test_the_fingerprint_is_the_sha256_of_the_der_certificate(issued):
    der = x509.load_pem_x509_certificate(issued.key.cert_pem).public_bytes(serialization.Encoding.DER)

    assert fingerprint(issued.key.cert_pem) == hashlib.sha256(der).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint(issued.key.cert_pem))
    assert fingerprint(issued.key.cert_pem) != fingerprint(issued.other.cert_pem)


# --- signing and verifying ---------------------------------------------------------------------


def test_a_signed_transcript_verifies_with_the_schools_certificate(issued):
    verification = verify_pdf(issued.signed, issued.key.cert_pem)

    assert verification.valid, verification.problem
    assert verification.intact and verification.covers_whole_document
    assert verification.signer == SCHOOL
    assert verification.signed_at == SIGNED_AT
    assert verification.problem == ""


def test_the_signed_file_is_the_transcript_plus_an_update_and_still_reads(issued):
    assert issued.signed.startswith(issued.pdf)
    text = PdfReader(io.BytesIO(issued.signed)).pages[0].extract_text()
    assert "Lê Thị Ánh Tuyết" in text and "HB-1" in text
    _start, end1, start2, length2 = _byte_range(issued.signed)
    assert start2 + length2 == len(issued.signed)
    assert end1 > len(issued.pdf) // 2


def test_a_changed_byte_of_the_transcript_breaks_the_signature(issued):
    # In the middle of the transcript's own bytes: what the signature's hash covers.
    verification = verify_pdf(_flip(issued.signed, len(issued.pdf) // 2), issued.key.cert_pem)

    assert not verification.valid
    assert not verification.intact
    assert verification.problem == "The document was changed after it was signed."


# Under a loaded machine (the whole suite, a CI box) drawing is slow: that is not a failure.
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_changed_byte_anywhere_is_never_valid(issued, data):
    # Half the draws in the signature's own container (hex CMS and zero padding), the one
    # part of the file the signature's hash cannot cover.
    _start, end1, start2, _length2 = _byte_range(issued.signed)
    position = data.draw(
        st.one_of(st.integers(end1, start2 - 1), st.integers(0, len(issued.signed) - 1)), label="position"
    )
    mask = data.draw(st.sampled_from([0x01, 0x02, 0x20, 0x80]), label="mask")

    verification = verify_pdf(_flip(issued.signed, position, mask), issued.key.cert_pem)

    assert not verification.valid
    assert verification.problem


@pytest.mark.parametrize(
    "where",
    ["first hex digit", "digest algorithm list", "last hex digit of the container", "padding", "last padding digit"],
)
def test_a_changed_byte_in_the_unsigned_container_is_not_valid(issued, where):
    _start, end1, start2, _length2 = _byte_range(issued.signed)
    contents = issued.signed[end1 + 1 : start2 - 1]
    der_length = len(contents.rstrip(b"0"))  # a DER container ends in a non-zero digit: here, yes
    position = {
        "first hex digit": end1 + 1,
        # ContentInfo header (4), OID (11), [0] header (4), SignedData header (4), version (3),
        # then the SET of digest algorithms: its NULL parameters are the last two bytes.
        "digest algorithm list": end1 + 1 + 2 * (4 + 11 + 4 + 4 + 3 + 2 + 13),
        "last hex digit of the container": end1 + der_length,
        "padding": end1 + 1 + der_length + 10,
        "last padding digit": start2 - 2,
    }[where]

    for mask in (0x01, 0x20):
        verification = verify_pdf(_flip(issued.signed, position, mask), issued.key.cert_pem)
        assert not verification.valid, (where, mask)


def test_a_transcript_signed_by_another_school_is_not_valid(issued):
    by_other = sign_pdf(issued.pdf, issued.other, reason="Cấp học bạ số", location="Hà Nội")

    assert verify_pdf(by_other, issued.other.cert_pem).valid
    verification = verify_pdf(by_other, issued.key.cert_pem)
    assert not verification.valid
    assert verification.intact
    assert verification.signer == "Trường THPT Khác"
    assert verification.problem == "The signature was not made with the school's certificate."
    assert not verify_pdf(issued.signed, issued.other.cert_pem).valid


def test_a_second_signature_by_another_key_is_the_one_judged(issued):
    countersigned = sign_pdf(issued.signed, issued.other, reason="Đóng dấu", location="Hà Nội")

    assert not verify_pdf(countersigned, issued.key.cert_pem).valid
    assert verify_pdf(countersigned, issued.other.cert_pem).valid


def test_bytes_added_after_the_signature_leave_the_document_uncovered(issued):
    verification = verify_pdf(issued.signed + b"\n% appended\n", issued.key.cert_pem)

    assert not verification.valid
    assert not verification.covers_whole_document
    assert verification.problem == "The signature does not cover the whole document."


def test_an_unsigned_transcript_is_not_valid(issued):
    verification = verify_pdf(issued.pdf, issued.key.cert_pem)

    assert verification == verification.__class__(valid=False, problem="The PDF has no signature.")


@pytest.mark.parametrize(
    "garbage",
    [b"", b"garbage", b"%PDF-1.7\n", b"%PDF-1.4\n" + bytes(range(256)) * 4, b"<img src=x>"],
)
def test_bytes_that_are_not_a_pdf_are_not_valid_and_raise_nothing(issued, garbage):
    verification = verify_pdf(garbage, issued.key.cert_pem)

    assert not verification.valid
    assert verification.problem == "The file is not a readable PDF."


def test_a_truncated_signed_transcript_is_not_valid(issued):
    for length in (len(issued.signed) // 2, len(issued.signed) - 40, _byte_range(issued.signed)[2] + 5):
        verification = verify_pdf(issued.signed[:length], issued.key.cert_pem)
        assert not verification.valid, length


def test_signing_the_same_transcript_twice_at_the_same_time_verifies_both(issued):
    again = sign_pdf(
        issued.pdf, issued.key, reason="Cấp học bạ số", location="Hà Nội", passphrase=PASSPHRASE, signed_at=SIGNED_AT
    )

    for signed in (issued.signed, again):
        verification = verify_pdf(signed, issued.key.cert_pem)
        assert verification.valid, verification.problem
        assert verification.signed_at == SIGNED_AT


def test_signing_needs_the_keys_passphrase_and_an_aware_time(issued):
    with pytest.raises(ValueError):
        sign_pdf(issued.pdf, issued.key, reason="r", location="l")
    with pytest.raises(ValueError):
        sign_pdf(issued.pdf, issued.key, reason="r", location="l", passphrase=b"wrong")
    with pytest.raises(ValueError):
        sign_pdf(issued.pdf, issued.other, reason="r", location="l", signed_at=datetime(2026, 6, 15, 8, 30))


def test_signing_without_a_time_writes_the_current_one(issued):
    before = datetime.now(UTC).replace(microsecond=0)
    signed = sign_pdf(issued.pdf, issued.other, reason="r", location="l")
    verification = verify_pdf(signed, issued.other.cert_pem)

    assert verification.valid
    assert verification.signed_at is not None
    assert before <= verification.signed_at <= datetime.now(UTC)


def test_a_certificate_that_is_not_one_is_a_configuration_error(issued):
    with pytest.raises(ValueError):
        verify_pdf(issued.signed, b"not a certificate")


def test_verifying_inside_an_event_loop_is_refused_not_reported_invalid(issued):
    async def inside() -> None:
        verify_pdf(issued.signed, issued.key.cert_pem)

    with pytest.raises(RuntimeError, match="synchronous"):
        asyncio.run(inside())
