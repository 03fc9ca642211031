"""Safe Exam Browser request checks (proctoring.seb: pure, no Django)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proctoring import seb
from proctoring.seb import (
    BROWSER_EXAM_KEY_HEADER,
    CONFIG_KEY_HEADER,
    MISSING_HEADER,
    OK,
    WRONG_BROWSER_EXAM_KEY,
    WRONG_CONFIG_KEY,
    Verdict,
    matches,
    request_hash,
    scope_headers,
    verify,
)

URL = "https://thi.example.edu.vn/exam/42/?seat=A3"
# sha256("settings of the mock exam") and sha256(URL + that key), both computed outside Python
# with `printf ... | sha256sum`, so that this value does not depend on the code under test.
CONFIG_KEY = "d9dc4eaddd41aeb33a04c8bfd87a3b21daa5041ef87bd341d6d6483ca218de9e"
CONFIG_KEY_HASH = "06eaa22442111652b51e9204a749159d4e718de09e01c33b0ff760be0b0bcead"
BROWSER_EXAM_KEY = hashlib.sha256(b"SEB 3.7 for Windows with the mock exam settings").hexdigest()
OTHER_KEY = hashlib.sha256(b"another configuration").hexdigest()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seb_headers(url: str = URL, config_key: str = CONFIG_KEY, browser_exam_key: str = BROWSER_EXAM_KEY) -> dict:
    return {CONFIG_KEY_HEADER: sha(url + config_key), BROWSER_EXAM_KEY_HEADER: sha(url + browser_exam_key)}


def check(headers, url=URL, config_keys=(CONFIG_KEY,), browser_exam_keys=(BROWSER_EXAM_KEY,)) -> Verdict:
    return verify(url, headers, config_keys=list(config_keys), browser_exam_keys=list(browser_exam_keys))


def test_worked_example_matches_a_hash_computed_outside_python():
    assert request_hash(URL, CONFIG_KEY) == CONFIG_KEY_HASH
    assert sha(URL + CONFIG_KEY) == CONFIG_KEY_HASH  # the test's own helper agrees
    assert check({CONFIG_KEY_HEADER: CONFIG_KEY_HASH}, browser_exam_keys=()) == Verdict(OK)


def test_url_comes_first_then_the_key():
    assert request_hash(URL, CONFIG_KEY) != sha(CONFIG_KEY + URL)


@given(st.text(), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_request_hash_is_hex_sha256_of_url_then_key(url, key):
    url = url.split("#", 1)[0]
    assert request_hash(url, key) == hashlib.sha256((url + key).encode("utf-8")).hexdigest()


def test_both_headers_right_is_ok():
    verdict = check(seb_headers())
    assert verdict.ok and verdict.reason == OK and verdict.header == ""


@pytest.mark.parametrize("fragment", ["#question-3", "#", "#a#b"])
def test_fragment_is_stripped_from_the_url(fragment):
    # SEB hashes the URL without its fragment; the same check passes with the fragment given.
    assert request_hash(URL + fragment, CONFIG_KEY) == CONFIG_KEY_HASH
    assert check(seb_headers(), url=URL + fragment).ok


def test_a_hash_made_with_the_fragment_is_refused():
    headers = seb_headers(url=URL + "#question-3")
    assert check(headers, url=URL + "#question-3") == Verdict(WRONG_CONFIG_KEY, CONFIG_KEY_HEADER)


def test_wrong_config_key():
    verdict = check(seb_headers(config_key=OTHER_KEY))
    assert verdict == Verdict(WRONG_CONFIG_KEY, CONFIG_KEY_HEADER)
    assert not verdict.ok


def test_wrong_browser_exam_key():
    assert check(seb_headers(browser_exam_key=OTHER_KEY)) == Verdict(WRONG_BROWSER_EXAM_KEY, BROWSER_EXAM_KEY_HEADER)


def test_the_config_key_is_checked_first():
    headers = seb_headers(config_key=OTHER_KEY, browser_exam_key=OTHER_KEY)
    assert check(headers).reason == WRONG_CONFIG_KEY


@pytest.mark.parametrize("header", [CONFIG_KEY_HEADER, BROWSER_EXAM_KEY_HEADER])
def test_missing_header(header):
    headers = seb_headers()
    del headers[header]
    assert check(headers) == Verdict(MISSING_HEADER, header)


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_header_counts_as_missing(value):
    headers = {**seb_headers(), CONFIG_KEY_HEADER: value}
    assert check(headers) == Verdict(MISSING_HEADER, CONFIG_KEY_HEADER)


def test_no_headers_at_all_from_an_ordinary_browser():
    assert check({"User-Agent": "Mozilla/5.0"}) == Verdict(MISSING_HEADER, CONFIG_KEY_HEADER)


def test_a_header_forged_from_another_url_is_refused():
    # A hash seen on one page (e.g. the start page) replayed on another URL.
    replayed = seb_headers(url="https://thi.example.edu.vn/exam/42/")
    assert check(replayed) == Verdict(WRONG_CONFIG_KEY, CONFIG_KEY_HEADER)
    other_query = seb_headers(url=URL.replace("A3", "A4"))
    assert check(other_query).reason == WRONG_CONFIG_KEY
    other_host = seb_headers(url=URL.replace("thi.example", "evil.example"))
    assert check(other_host).reason == WRONG_CONFIG_KEY


def test_the_raw_key_in_the_header_is_refused():
    # A client that sends the key itself instead of the hash proves nothing.
    assert check({CONFIG_KEY_HEADER: CONFIG_KEY}, browser_exam_keys=()).reason == WRONG_CONFIG_KEY


def test_any_of_several_allowed_keys_is_accepted():
    older_bek, newer_bek = sha("SEB 3.6"), sha("SEB 3.7")
    for bek in (older_bek, newer_bek):
        headers = seb_headers(browser_exam_key=bek)
        assert check(headers, config_keys=[OTHER_KEY, CONFIG_KEY], browser_exam_keys=[older_bek, newer_bek]).ok
    headers = seb_headers(browser_exam_key=sha("SEB 3.5"))
    assert check(headers, browser_exam_keys=[older_bek, newer_bek]).reason == WRONG_BROWSER_EXAM_KEY


@pytest.mark.parametrize(
    "transform",
    [str.lower, str.upper, lambda name: name.replace("SafeExamBrowser", "Safeexambrowser"), lambda name: name],
)
def test_header_names_are_case_insensitive(transform):
    headers = {transform(name): value for name, value in seb_headers().items()}
    assert check(headers).ok


def test_upper_case_hex_and_spaces_are_tolerated():
    headers = {name: f" {value.upper()} " for name, value in seb_headers().items()}
    assert check(headers).ok
    # A configured key pasted in upper case with a trailing newline is the same key.
    assert check(seb_headers(), config_keys=[CONFIG_KEY.upper() + "\n"]).ok


def test_only_the_kinds_with_configured_keys_are_checked():
    only_config = {CONFIG_KEY_HEADER: sha(URL + CONFIG_KEY)}
    assert check(only_config, browser_exam_keys=()).ok
    only_bek = {BROWSER_EXAM_KEY_HEADER: sha(URL + BROWSER_EXAM_KEY)}
    assert check(only_bek, config_keys=()).ok
    assert check({}, config_keys=(), browser_exam_keys=()).ok
    # A header the sitting does not check may be anything.
    assert check({**only_config, BROWSER_EXAM_KEY_HEADER: "garbage"}, browser_exam_keys=()).ok


def test_every_copy_of_a_repeated_header_must_match():
    good = sha(URL + CONFIG_KEY)
    headers = {CONFIG_KEY_HEADER.lower(): good, CONFIG_KEY_HEADER.upper(): sha(URL + OTHER_KEY)}
    assert check(headers, browser_exam_keys=()).reason == WRONG_CONFIG_KEY
    headers = {CONFIG_KEY_HEADER.lower(): good, CONFIG_KEY_HEADER.upper(): good}
    assert check(headers, browser_exam_keys=()).ok


def test_non_ascii_header_value_is_refused_not_an_error():
    assert check({CONFIG_KEY_HEADER: "Ωmega", BROWSER_EXAM_KEY_HEADER: "x"}).reason == WRONG_CONFIG_KEY


def test_comparison_is_constant_time(monkeypatch):
    calls = []
    real = seb.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(seb.hmac, "compare_digest", spy)
    keys = [CONFIG_KEY, OTHER_KEY, sha("third")]
    assert matches(URL, CONFIG_KEY_HASH, keys)
    assert len(calls) == len(keys)  # every key compared, even after the first matched


def test_matches_checks_a_value_from_the_javascript_api():
    # SafeExamBrowser.security.configKey is the same hash, over the page URL without fragment.
    assert matches(URL + "#top", sha(URL + CONFIG_KEY), [CONFIG_KEY])
    assert not matches(URL, sha(URL + CONFIG_KEY), [OTHER_KEY])
    assert not matches(URL, sha(URL + CONFIG_KEY), [])


def test_scope_headers_for_a_websocket_handshake():
    url = "wss://thi.example.edu.vn/ws/attempt/7/"
    raw = [
        (b"host", b"thi.example.edu.vn"),
        (CONFIG_KEY_HEADER.lower().encode(), sha(url + CONFIG_KEY).encode()),
        (BROWSER_EXAM_KEY_HEADER.lower().encode(), sha(url + BROWSER_EXAM_KEY).encode()),
    ]
    assert check(scope_headers(raw), url=url).ok
    assert check(scope_headers(raw), url="https://thi.example.edu.vn/ws/attempt/7/").reason == WRONG_CONFIG_KEY


def test_scope_headers_join_a_repeated_header_so_it_matches_no_key():
    good = sha(URL + CONFIG_KEY).encode()
    raw = [(CONFIG_KEY_HEADER.lower().encode(), good), (CONFIG_KEY_HEADER.encode(), sha(URL + OTHER_KEY).encode())]
    assert check(scope_headers(raw), browser_exam_keys=()).reason == WRONG_CONFIG_KEY


@given(st.text(min_size=1), st.sampled_from([CONFIG_KEY, BROWSER_EXAM_KEY, OTHER_KEY]))
def test_a_right_hash_is_accepted_and_any_other_url_refused(path, key):
    url = "https://thi.example.edu.vn/" + path.replace("#", "")
    headers = {CONFIG_KEY_HEADER: request_hash(url, key)}
    assert check(headers, url=url, config_keys=[key], browser_exam_keys=()).ok
    assert not check(headers, url=url + "x", config_keys=[key], browser_exam_keys=()).ok
