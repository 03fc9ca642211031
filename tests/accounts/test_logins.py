"""Logins that cannot be brute-forced or used to exhaust the CPU (issue 8, finding 4).

Every door that checks a password (the API, the login page, the admin's login, the password
change) goes through the throttled backend: a locked account or an address over its budget
is refused before any hash is computed, and the lab behind one NAT address still logs in.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import selectors, services, throttle
from accounts.models import AccountEvent, LoginThrottle, Role
from tests.accounts.hashers import CountingArgon2idHasher
from tests.factories import PASSWORD, make_department, make_school, make_user, password_hash

pytestmark = pytest.mark.django_db

LAB = "203.0.113.7"  # one school's NAT address


@pytest.fixture
def hashes(settings):
    """The number of password hashes computed since the fixture was made."""
    settings.PASSWORD_HASHERS = [
        "tests.accounts.hashers.CountingArgon2idHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    password_hash()  # the test users' hash, made once per run, is not counted
    start = CountingArgon2idHasher.computed
    return lambda: CountingArgon2idHasher.computed - start


def api_login(client: Client, username: str, password: str, address: str = LAB):
    return client.post(
        "/api/auth/login/",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_repeated_wrong_passwords_lock_the_account_and_a_refusal_costs_no_hash(hashes, settings):
    student = make_user(Role.STUDENT, make_school())
    client = Client()
    for attempt in range(settings.LOGIN_LOCK_FAILURES - 1):
        assert api_login(client, student.username, f"guess-{attempt}").status_code == 401
    locking = api_login(client, student.username, "last-guess")
    assert locking.status_code == 403 and locking.json()["error"]["code"] == "account_locked"
    assert hashes() == settings.LOGIN_LOCK_FAILURES
    # The attacker goes on, with 200 more guesses: none is checked, not even the right one.
    for attempt in range(200):
        assert api_login(client, student.username, f"more-{attempt}").status_code == 403
    refused = api_login(client, student.username, PASSWORD)
    assert refused.status_code == 403
    body = refused.json()["error"]
    assert body["code"] == "account_locked" and body["message"]
    assert 0 < int(refused["Retry-After"]) <= settings.LOGIN_LOCK_SECONDS
    assert hashes() == settings.LOGIN_LOCK_FAILURES
    lock = LoginThrottle.objects.get(scope="account", key=student.username)
    assert lock.user == student and lock.failures == settings.LOGIN_LOCK_FAILURES
    event = AccountEvent.objects.get(user=student)
    assert event.kind == "locked" and event.by is None and event.address == LAB


def test_a_lock_does_not_tell_whether_the_name_exists(hashes, settings):
    student = make_user(Role.STUDENT, make_school())
    answers = {}
    for name in (student.username, "nobody-by-this-name"):
        client = Client()
        replies = [api_login(client, name, f"guess-{n}") for n in range(settings.LOGIN_LOCK_FAILURES + 1)]
        answers[name] = [(r.status_code, r.json()["error"]["code"]) for r in replies]
    assert answers[student.username] == answers["nobody-by-this-name"]
    assert answers[student.username][-1] == (403, "account_locked")
    # A name nobody has costs a hash too (Django's dummy hash), until it is locked.
    assert hashes() == 2 * settings.LOGIN_LOCK_FAILURES


def test_a_right_password_forgets_earlier_mistakes(settings):
    student = make_user(Role.STUDENT, make_school())
    client = Client()
    for _round in range(3):
        for attempt in range(settings.LOGIN_LOCK_FAILURES - 1):
            assert api_login(client, student.username, f"typo-{attempt}").status_code == 401
        assert api_login(client, student.username, PASSWORD).status_code == 200
    assert not LoginThrottle.objects.filter(scope="account").exists()


def test_a_lock_ends_by_itself_after_the_configured_time(settings):
    student = make_user(Role.STUDENT, make_school())
    policy = throttle.Policy.from_settings()
    long_ago = timezone.now() - timedelta(seconds=settings.LOGIN_LOCK_SECONDS + 60)
    for _attempt in range(settings.LOGIN_LOCK_FAILURES):
        services.login_failure_record(username=student.username, address=LAB, policy=policy, now=long_ago)
    assert LoginThrottle.objects.get(scope="account").locked_at == long_ago
    assert api_login(Client(), student.username, PASSWORD).status_code == 200
    assert not LoginThrottle.objects.filter(scope="account").exists()


def test_with_lock_seconds_zero_only_a_person_unlocks(settings):
    settings.LOGIN_LOCK_SECONDS = 0
    student = make_user(Role.STUDENT, make_school())
    policy = throttle.Policy.from_settings()
    a_week_ago = timezone.now() - timedelta(days=7)
    for _attempt in range(settings.LOGIN_LOCK_FAILURES):
        services.login_failure_record(username=student.username, address=LAB, policy=policy, now=a_week_ago)
    refused = api_login(Client(), student.username, PASSWORD)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_locked"
    assert "Retry-After" not in refused
    call_command("unlock_account", student.username)
    assert api_login(Client(), student.username, PASSWORD).status_code == 200
    unlocked = AccountEvent.objects.get(user=student, kind="unlocked")
    assert unlocked.by is None


def test_spraying_from_one_address_is_refused_unhashed_but_not_its_known_users(hashes, settings):
    settings.LOGIN_ADDRESS_BURST = 5
    school = make_school()
    regular = make_user(Role.STUDENT, school)
    newcomer = make_user(Role.STUDENT, school)
    assert api_login(Client(), regular.username, PASSWORD).status_code == 200  # known from the lab
    before = hashes()
    sprayer = Client()
    codes = [api_login(sprayer, f"name{n}", "123456789").json()["error"]["code"] for n in range(40)]
    assert codes[:5] == ["invalid_credentials"] * 5
    assert set(codes[5:]) == {"too_many_attempts"}
    assert hashes() - before == 5
    refused = api_login(Client(), newcomer.username, PASSWORD)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # The lab's regular user still logs in, and so does anyone from another address.
    assert api_login(Client(), regular.username, PASSWORD).status_code == 200
    assert api_login(Client(), newcomer.username, PASSWORD, address="198.51.100.20").status_code == 200


def test_a_lab_of_forty_logs_in_from_one_address_some_mistyping():
    school = make_school()
    students = [make_user(Role.STUDENT, school) for _ in range(40)]
    for n, student in enumerate(students):
        client = Client()
        if n % 5 == 0:  # one in five mistypes twice first
            assert api_login(client, student.username, "oops").status_code == 401
            assert api_login(client, student.username, "oops again").status_code == 401
        assert api_login(client, student.username, PASSWORD).status_code == 200
        assert client.get("/api/me/").json()["user"]["username"] == student.username


def test_a_school_of_a_thousand_behind_one_address_within_minutes_is_never_refused():
    """The throttle's own rules and services (no hashing), 1,000 people over three minutes
    from one address; one in six mistypes once, one in twenty three times."""
    policy = throttle.Policy.from_settings()
    start = timezone.now()
    refusals = []
    for n in range(1000):
        now = start + timedelta(seconds=n * 0.18)
        name = f"hs{n:04d}"
        mistakes = 3 if n % 20 == 0 else 1 if n % 6 == 0 else 0
        for _ in range(mistakes + 1):
            state = selectors.login_throttle_state(username=name, address=LAB)
            refused = throttle.refusal(state, now, policy)
            if refused:
                refusals.append((name, refused.code))
                break
            if _ < mistakes:
                services.login_failure_record(username=name, address=LAB, policy=policy, now=now)
            else:
                services.login_success_record(state=state, policy=policy, now=now)
    assert refusals == []


def test_ipv6_addresses_count_by_their_64_prefix(rf):
    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")
    assert throttle.client_address(one) == throttle.client_address(other) == "2001:db8:1:2::/64"
    assert throttle.client_address(rf.get("/", REMOTE_ADDR="::ffff:192.0.2.4")) == "192.0.2.4"


def test_the_login_page_and_the_admin_say_the_account_is_locked_in_vietnamese(hashes, settings):
    teacher = make_user(Role.TEACHER, make_school(), is_staff=True)
    client = Client()
    for attempt in range(settings.LOGIN_LOCK_FAILURES):
        page = client.post("/login/", {"username": teacher.username, "password": f"x{attempt}"}, REMOTE_ADDR=LAB)
    counted = hashes()
    page = client.post("/login/", {"username": teacher.username, "password": PASSWORD}, REMOTE_ADDR=LAB)
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    assert "Tài khoản này đã bị khoá" in page.content.decode()
    admin = client.post(
        "/admin/login/", {"username": teacher.username, "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR=LAB
    )
    assert admin.status_code == 200 and "_auth_user_id" not in client.session
    assert "Tài khoản này đã bị khoá" in admin.content.decode()
    assert hashes() == counted
    wrong = Client().post("/login/", {"username": "someone", "password": "x"}, REMOTE_ADDR="198.51.100.1")
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.content.decode()


# --- unlocking: who, where, audited --------------------------------------------------------


def lock(user) -> None:
    policy = throttle.Policy.from_settings()
    for _attempt in range(policy.lock_failures):
        services.login_failure_record(username=user.username, address=LAB, policy=policy)


@pytest.fixture
def people():
    department = make_department()
    school = make_school(department)
    other_school = make_school()
    return {
        "school": school,
        "student": make_user(Role.STUDENT, school),
        "teacher": make_user(Role.TEACHER, school),
        "proctor": make_user(Role.PROCTOR, school),
        "board": make_user(Role.BOARD, department),
        "other_board": make_user(Role.BOARD, department),
        "admin": make_user(Role.ADMIN, None),
        "far_student": make_user(Role.STUDENT, other_school),
        "far_proctor": make_user(Role.PROCTOR, other_school),
    }


@pytest.mark.parametrize(
    "actor, target, status",
    [
        ("proctor", "student", 200),
        ("proctor", "teacher", 403),
        ("proctor", "other_board", 404),  # a department is above a school proctor
        ("proctor", "far_student", 404),
        ("far_proctor", "student", 404),
        ("board", "student", 200),
        ("board", "teacher", 200),
        ("board", "proctor", 200),
        ("board", "other_board", 403),
        ("board", "admin", 404),
        ("board", "far_student", 404),
        ("admin", "far_student", 200),
        ("admin", "other_board", 200),
        ("teacher", "student", 403),
        ("student", "student", 403),
    ],
)
def test_who_may_unlock_whom(people, actor, target, status):
    lock(people[target])
    client = Client()
    client.force_login(people[actor])
    response = client.post(f"/api/accounts/{people[target].pk}/unlock/")
    assert response.status_code == status, response.content
    still_locked = throttle.is_locked(
        LoginThrottle.objects.filter(scope="account", key=people[target].username).first(), timezone.now()
    )
    assert still_locked == (status != 200)
    if status == 200:
        assert response.json()["unlocked"] is True
        event = AccountEvent.objects.get(user=people[target], kind="unlocked")
        assert event.by == people[actor] and event.detail["failures"] == 10
        assert api_login(Client(), people[target].username, PASSWORD).status_code == 200
    else:
        assert response.json()["error"]["code"] == {403: "forbidden", 404: "not_found"}[status]
        assert not AccountEvent.objects.filter(kind="unlocked").exists()


def test_each_sees_the_locked_accounts_they_may_unlock(people):
    for name in ("student", "teacher", "other_board", "far_student"):
        lock(people[name])
    expected = {
        "proctor": {"student"},
        "board": {"student", "teacher"},
        "admin": {"student", "teacher", "other_board", "far_student"},
        "far_proctor": {"far_student"},
    }
    for actor, names in expected.items():
        client = Client()
        client.force_login(people[actor])
        listed = {row["user"]["username"] for row in client.get("/api/accounts/locked/").json()["results"]}
        assert listed == {people[name].username for name in names}, actor
    for actor in ("student", "teacher"):
        client = Client()
        client.force_login(people[actor])
        assert client.get("/api/accounts/locked/").status_code == 403
        assert client.get("/accounts/locked/").status_code == 403


def test_unlocking_an_account_that_is_not_locked_changes_nothing(people):
    client = Client()
    client.force_login(people["proctor"])
    response = client.post(f"/api/accounts/{people['student'].pk}/unlock/")
    assert response.status_code == 200 and response.json()["unlocked"] is False
    assert not AccountEvent.objects.exists()
    assert client.post("/api/accounts/999999/unlock/").status_code == 404


def test_a_proctor_unlocks_a_student_on_the_locked_accounts_page(people):
    lock(people["student"])
    lock(people["far_student"])
    client = Client()
    client.force_login(people["proctor"])
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/accounts/locked/"
    page = client.get("/accounts/locked/").content.decode()
    assert "Tài khoản bị khoá" in page
    assert people["student"].username in page and people["far_student"].username not in page
    done = client.post(f"/accounts/locked/{people['student'].pk}/unlock/", follow=True)
    text = done.content.decode()
    assert done.status_code == 200 and "có thể đăng nhập lại" in text
    assert AccountEvent.objects.get(kind="unlocked").by == people["proctor"]
    assert client.post(f"/accounts/locked/{people['far_student'].pk}/unlock/").status_code == 404
    assert client.get(f"/accounts/locked/{people['student'].pk}/unlock/").status_code == 405


def test_sessions_made_before_the_throttle_stay_valid(settings):
    """Sessions name the backend that logged them in; Django's own stays listed for them."""
    from django.conf import settings as live
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    student = make_user(Role.STUDENT, make_school())
    session = SessionStore()
    session[SESSION_KEY] = str(student.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = student.get_session_auth_hash()
    session.save()
    client = Client()
    client.cookies[live.SESSION_COOKIE_NAME] = session.session_key
    assert client.get("/api/me/").json()["user"]["username"] == student.username


def test_parallel_attempts_cannot_all_pass_the_same_check(hashes, settings):
    """Forced race: an attempt is being checked (reserved) when the next one arrives."""
    settings.LOGIN_ADDRESS_BURST = 3
    school = make_school()
    student, other = make_user(Role.STUDENT, school), make_user(Role.STUDENT, school)
    policy = throttle.Policy.from_settings()
    for _attempt in range(policy.lock_failures - 1):
        services.login_failure_record(username=student.username, address="198.51.100.9", policy=policy)
    state = selectors.login_throttle_state(username=student.username, address=LAB)
    reservation, refused = services.login_attempt_reserve(state=state, policy=policy)
    assert refused is None and reservation.account and not reservation.token
    before = hashes()
    competing = api_login(Client(), student.username, "another-guess")
    assert competing.status_code == 429 and competing.json()["error"]["code"] == "too_many_attempts"
    assert hashes() == before
    # The address: two tokens left, one attempt holds one, the next takes the last, then none.
    services.login_failure_record(username="someone", address=LAB, policy=policy)
    state = selectors.login_throttle_state(username=other.username, address=LAB)
    reservation, refused = services.login_attempt_reserve(state=state, policy=policy)
    assert refused is None and reservation.token
    assert api_login(Client(), "someone-else", "guess").json()["error"]["code"] == "invalid_credentials"
    assert api_login(Client(), "a-third", "guess").json()["error"]["code"] == "too_many_attempts"
    # The reserved attempt was a right password: its token comes back.
    services.login_success_record(state=state, policy=policy, reservation=reservation)
    assert api_login(Client(), other.username, PASSWORD).status_code == 200


def test_a_writer_with_a_stale_clock_gives_no_address_a_phantom_refill(settings):
    """A request reads the clock, then waits for the bucket's lock behind others: its write
    must not move the bucket back in time (the bench found 100 extra hashes in 30 s)."""
    settings.LOGIN_ADDRESS_BURST = 3
    policy = throttle.Policy.from_settings()
    now = timezone.now()
    for n in range(3):
        services.login_failure_record(username=f"name{n}", address=LAB, policy=policy, now=now)
    services.login_failure_record(username="late", address=LAB, policy=policy, now=now - timedelta(seconds=20))
    state = selectors.login_throttle_state(username="next", address=LAB)
    refused = throttle.refusal(state, now + timedelta(milliseconds=500), policy)
    assert refused is not None and refused.code == "too_many_attempts"
