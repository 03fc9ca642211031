"""The school's digital signature on a printed PDF (học bạ số), made and checked with pyHanko.

A digital transcript is signed by its school and every issuance is logged (DOMAIN.md): the
signature is a PAdES signature (``ETSI.CAdES.detached``, ECDSA P-256 over SHA-256) embedded in
the PDF as an incremental update with an invisible signature field, so that any PDF reader
shows it and any change to a byte of the signed file breaks it.

- :func:`new_school_key`: a school's key and a self-signed certificate. Until schools hold
  certificates from a recognised authority, a verifier trusts exactly the certificate the
  school published (its :func:`fingerprint` is what an issuance log records).
- :func:`sign_pdf`: the signed PDF.
- :func:`verify_pdf`: whether a PDF carries an intact signature of that certificate covering
  the whole file. It answers with a :class:`Verification`, never an exception: what it reads
  comes from outside (an upload, an e-mail attachment), so any bytes at all are an answer of
  "not valid" with the reason why.

pyHanko runs its work in an event loop of its own (``asyncio.run``): call these functions from
synchronous code (a task, a view, or ``sync_to_async`` in an async consumer), never straight
from a coroutine.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain, count
from typing import Any

from asn1crypto import cms  # type: ignore[import-untyped]  # pyHanko's ASN.1 library, untyped
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

FIELD_NAME = "SchoolSignature"
"""The name of the (invisible) signature field the school's signature fills (``SchoolSignature2``
and so on for a PDF signed already)."""

CLOCK_SKEW = timedelta(minutes=5)
"""How far before its creation a new certificate is valid from: a signature made right after
the key on a server whose clock is slightly behind still falls inside the validity period."""


@dataclass(frozen=True)
class SigningKey:
    """A school's private key (PKCS#8 PEM, encrypted when made with a passphrase) and its
    self-signed X.509 certificate (PEM)."""

    key_pem: bytes
    cert_pem: bytes


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_pdf` found.

    ``valid`` is the verdict: intact, made by the trusted certificate, covering the whole
    file. ``intact``: the signed bytes hash to what was signed. ``signer``: the common name
    of the certificate in the signature (also when it is not the trusted one; empty when no
    signature could be read). ``signed_at``: the time the signer wrote in it (its own clock,
    to the second: no timestamp authority vouches for it). ``problem``: a short English
    sentence when ``valid`` is false, empty otherwise.
    """

    valid: bool
    intact: bool = False
    signer: str = ""
    signed_at: datetime | None = None
    covers_whole_document: bool = False
    problem: str = ""


def new_school_key(
    common_name: str, organisation: str, *, days: int = 3650, passphrase: bytes | None = None
) -> SigningKey:
    """A new EC P-256 key and a certificate for it, self-signed, valid for ``days`` days.

    The certificate allows digital signatures and non-repudiation (what pyHanko requires of
    a document signer) and is not a certificate authority: it signs transcripts, not other
    certificates. ``passphrase`` encrypts the key PEM (the best encryption cryptography
    offers), so that a copied key file alone signs nothing.
    """
    if days < 1:
        raise ValueError("A certificate must be valid for at least one day.")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return SigningKey(key_pem=key_pem, cert_pem=certificate.public_bytes(serialization.Encoding.PEM))


def _der(cert_pem: bytes) -> bytes:
    """The DER encoding of a PEM certificate; ``ValueError`` when it is none."""
    return x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)


def fingerprint(cert_pem: bytes) -> str:
    """The SHA-256 of the certificate's DER encoding, in lowercase hex: what an issuance log
    records, and what a person compares with the school's published one."""
    return hashlib.sha256(_der(cert_pem)).hexdigest()


def _certificate(cert_pem: bytes) -> Any:
    """The certificate as pyHanko takes it (an asn1crypto object), read strictly by
    cryptography first: asn1crypto parses lazily and would accept garbage until used."""
    [certificate] = load_certs_from_pemder_data(_der(cert_pem))
    return certificate


class _SignerAt(signers.PdfSigner):
    """A :class:`pyhanko.sign.signers.PdfSigner` that writes a given signing time.

    pyHanko takes the signing time from the system clock when it opens a signing session and
    offers no parameter for it; the session is the one place it is read, so setting it there
    is enough (the ``/M`` entry of the signature dictionary, which PAdES uses instead of a
    CMS signing-time attribute).
    """

    def __init__(self, signature_meta: signers.PdfSignatureMetadata, signer: signers.Signer, signed_at: datetime):
        super().__init__(signature_meta, signer)
        self.signed_at = signed_at

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self.signed_at
        return session


def sign_pdf(
    pdf: bytes,
    key: SigningKey,
    *,
    reason: str,
    location: str,
    passphrase: bytes | None = None,
    signed_at: datetime | None = None,
) -> bytes:
    """``pdf`` with the school's PAdES signature over all of it (an invisible field).

    ``reason`` and ``location`` are shown by PDF readers beside the signature ("Cấp học bạ",
    the school's town); ``signed_at`` (timezone-aware; now when omitted) is the signing time
    written in it. Raises ``ValueError`` when the key cannot be read (a wrong passphrase)
    and pyHanko's ``PdfReadError`` when ``pdf`` is not a PDF.

    The output is not a function of the input alone: an ECDSA signature takes a random
    number each time. Both signatures verify.
    """
    if signed_at is None:
        signed_at = datetime.now(UTC)
    elif signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise ValueError("signed_at must be timezone-aware.")
    certificate = _certificate(key.cert_pem)
    try:
        private_key = load_private_key_from_pemder_data(key.key_pem, passphrase=passphrase)
    except TypeError as error:  # cryptography's word for a passphrase missing or not needed
        raise ValueError("The key needs its passphrase, or was made without one.") from error
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=private_key,
        # No other certificates: the school's is its own root. (The constructor is untyped.)
        cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    # A PDF signed already (a countersignature) gets a field of its own: a filled one is final.
    taken = {name for name, _value, _reference in enumerate_sig_fields(writer)}
    names = chain([FIELD_NAME], (f"{FIELD_NAME}{n}" for n in count(2)))
    field_name = next(name for name in names if name not in taken)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    output = _SignerAt(metadata, signer, signed_at).sign_pdf(writer)
    return bytes(output.getvalue())


def _signer_name(signature: EmbeddedPdfSignature) -> str:
    """The common name of the certificate in a signature (its whole subject when it has no
    common name; empty when the signature holds no certificate that can be read)."""
    try:
        certificate = signature.signer_cert
        if certificate is None:
            return ""
        subject = certificate.subject
        return str(subject.native.get("common_name") or subject.human_friendly)
    except Exception:  # asn1crypto parses lazily: a damaged blob fails here, of any kind
        return ""


def _unsigned_change(pdf: bytes, signature: EmbeddedPdfSignature, trusted: Any) -> str:
    """Why the signature's own container is not exactly as a signer writes it ("" when it is).

    A PDF signature cannot sign itself: the ``/Contents`` hex string (the CMS container and
    the zero padding after it) is the one part of the file its hash leaves out, and in the
    container only the signed attributes and the signature value are protected. A changed
    byte there (in the padding, the case of a hex digit, an encoding, the list of digest
    algorithms, a version number, an added certificate or unsigned attribute) leaves the
    signature cryptographically valid yet makes another file. These rules leave one valid
    file per signature: the hex is the canonical DER of the container then zeros, in one
    case; the container holds exactly the trusted certificate, one signer, the versions
    RFC 5652 prescribes, a detached ``id-data`` content, no revocation lists and no unsigned
    attributes; every algorithm identifier has absent or NULL parameters (RFC 5754, 5758).
    They are the standard's own, so a signature from a later pyHanko still passes them.
    """
    _start, end1, start2, _length2 = (int(number) for number in signature.byte_range)
    raw = signature.pkcs7_content
    container = cms.ContentInfo.load(raw)
    canonical = container.dump(force=True).hex() + "00" * (len(raw) - len(container.dump()))
    if pdf[end1:start2] not in {f"<{canonical}>".encode(), f"<{canonical.upper()}>".encode()}:
        return "The signature container is not encoded as it was signed."
    signed = container["content"]
    infos = list(signed["signer_infos"])
    if len(infos) != 1:
        return "The signature container holds more than one signer."
    info = infos[0]
    content = signed["encap_content_info"]
    certificates = [choice.chosen.dump() for choice in signed["certificates"]]
    signer_version = "v1" if info["sid"].name == "issuer_and_serial_number" else "v3"
    signed_version = "v1" if signer_version == "v1" and content["content_type"].native == "data" else "v3"
    algorithms = [*signed["digest_algorithms"], info["digest_algorithm"], info["signature_algorithm"]]
    if (
        info["version"].native != signer_version
        or signed["version"].native != signed_version
        or content["content_type"].native != "data"
        or content["content"].native is not None
        or certificates != [trusted.dump()]
        or signed["crls"].native is not None
        or info["unsigned_attrs"].native is not None
        or [algorithm.dump() for algorithm in signed["digest_algorithms"]] != [info["digest_algorithm"].dump()]
        or any(algorithm["parameters"].native is not None for algorithm in algorithms)
    ):
        return "The signature container holds data that was not signed."
    return ""


def verify_pdf(pdf: bytes, cert_pem: bytes) -> Verification:
    """Whether ``pdf`` carries a valid signature made with ``cert_pem`` over the whole file.

    The trust root is ``cert_pem`` and nothing else (not the system's list, no download of
    certificates or revocation lists): a signature by any other key is not valid, however
    well-formed. The certificate is checked as of now (there is no timestamp authority to
    vouch for an earlier time): once it has expired, its signatures no longer verify. The last signature of the file is the one judged, since only it can cover
    the whole file; bytes appended after it (a later incremental update) make the document
    not covered.

    Raises ``ValueError`` only when ``cert_pem`` is not a certificate (the caller's own
    configuration); whatever ``pdf`` holds gives a :class:`Verification`.
    """
    trusted = _certificate(cert_pem)  # raises ValueError on a bad configuration
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # checked here: the catch-all below would report it as an invalid document
        raise RuntimeError("verify_pdf runs its own event loop: call it from synchronous code.")
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        embedded = reader.embedded_signatures
    except Exception:  # pyHanko raises several kinds on broken files; all mean the same here
        return Verification(valid=False, problem="The file is not a readable PDF.")
    if not embedded:
        return Verification(valid=False, problem="The PDF has no signature.")
    signature = embedded[-1]
    signer = _signer_name(signature)
    try:
        context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
        status = validate_pdf_signature(signature, signer_validation_context=context)
    except Exception:  # a malformed signature dictionary or CMS blob, of any kind
        return Verification(valid=False, signer=signer, problem="The signature cannot be read.")
    intact = bool(status.intact and status.valid)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not intact:
        problem = "The document was changed after it was signed."
    elif not status.trusted:
        problem = "The signature was not made with the school's certificate."
    elif not whole:
        problem = "The signature does not cover the whole document."
    elif not status.bottom_line:
        problem = "The signature does not meet the signing rules."
    else:
        try:
            problem = _unsigned_change(pdf, signature, trusted)
        except Exception:  # asn1crypto parses lazily: a damaged container fails here, of any kind
            problem = "The signature cannot be read."
    return Verification(
        valid=not problem,
        intact=intact,
        signer=signer,
        signed_at=status.signer_reported_dt,
        covers_whole_document=whole,
        problem=problem,
    )
