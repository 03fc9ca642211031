"""Calibration back into the bank (results.calibration): a sitting's responses, simulated from
known parameters, calibrated with the bank's items as anchors; new and trial items come out
on the bank's scale; the board reviews and writes them back with their provenance; refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from accounts.models import Role, User
from assess import authoring, statuses
from assess.authoring import PartSpec
from assess.models import Attempt, FormItem, Result, Sitting
from itembank import services as bank
from itembank.models import ItemVersion
from results import calibration as service
from results.models import Calibration, ModerationChange
from tests.assess.test_authoring import World
from tests.assess.test_scoring_runs import essay_item
from tests.factories import logged_in_client, make_user, password_hash, post_job, schedule

pytestmark = pytest.mark.django_db

N_CANDIDATES = 800
ANCHOR_A = [0.8, 1.0, 1.2, 1.4, 1.6, 0.9, 1.1, 1.3, 1.5, 1.0]
ANCHOR_B = [-1.5, -1.0, -0.6, -0.3, 0.0, 0.2, 0.5, 0.8, 1.1, 1.5]
NEW_A = [1.2, 0.9, 1.5, 1.0]  # positions 11-14; 14 is a trial item
NEW_B = [-0.5, 0.8, 0.0, 1.2]
GROUP_A, GROUP_B = 1.1, 0.3  # the true/false group (position 15): full marks or not
SAMPLE_MEAN, SAMPLE_SD = 0.5, 1.0  # the candidates are abler than the bank's reference group


def _simulate(n: int, seed: int = 11) -> list[list[float | None]]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(SAMPLE_MEAN, SAMPLE_SD, n)
    a = np.array(ANCHOR_A + NEW_A + [GROUP_A])
    b = np.array(ANCHOR_B + NEW_B + [GROUP_B])
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    full = rng.random(p.shape) < p
    rows = []
    for i in range(n):
        row: list[float | None] = [0.25 if full[i, j] else 0.0 for j in range(14)]
        row.append(1.0 if full[i, 14] else float(rng.choice([0.0, 0.1, 0.25, 0.5])))
        row.append(float(rng.choice([0.0, 0.5, 1.0])))  # the essay, marked by a person
        rows.append(row)
    return rows


def build_sitting(world: World, *, n: int = N_CANDIDATES, anchors: bool = True) -> Sitting:
    """An exam of 14 single-choice items (the first 10 with bank parameters, item 14 a trial
    item), a true/false group and an essay, taken by ``n`` candidates whose scores are
    simulated from the parameters above."""
    parts = (
        PartSpec("Phần I", 14, Decimal("0.25"), "single_choice"),
        PartSpec("Phần II", 1, Decimal("1"), "true_false_group"),
        PartSpec("Phần III", 1, Decimal("1"), "essay"),
    )
    assessment = authoring.assessment_create(by=world.board, spec=world.spec(parts=parts))
    choices = world.choice(world.algebra, n=14)
    if anchors:
        for item, a, b in zip(choices, ANCHOR_A, ANCHOR_B, strict=False):
            bank.item_version_set_calibration(
                by=world.board,
                version_id=item.versions.get(status="published").pk,
                irt_a=a,
                irt_b=b,
                calibration="bank",
            )
    group = world.true_false(world.geometry)
    picks = [[i.pk for i in choices], [group[0].pk], [essay_item(world).pk]]
    master = authoring.form_build(by=world.board, assessment_id=assessment.pk, code="GOC", item_ids=picks)
    authoring.form_set_trial(by=world.board, form_id=master.pk, positions=[14])
    hashed = password_hash()
    students = User.objects.bulk_create(
        User(
            username=f"ts{k:04d}",
            role=Role.STUDENT,
            organisation=world.school,
            learner_id=f"TS{k:08d}",
            password=hashed,
        )
        for k in range(n)
    )
    sitting = schedule(by=world.board, form=master, students=students)
    attempts = list(sitting.attempts.order_by("pk"))
    now = timezone.now()
    Attempt.objects.filter(pk__in=[a.pk for a in attempts]).update(status=statuses.SCORED, submitted_at=now)
    Result.objects.bulk_create(
        Result(
            attempt=attempt,
            raw_score=Decimal(str(sum(s for s in scores[:13] if s) + scores[14] + scores[15])),
            max_score=Decimal("5.25"),
            number_correct=0,
            item_count=15,
            score_10=Decimal("0"),
            item_scores=scores,
        )
        for attempt, scores in zip(attempts, _simulate(n), strict=True)
    )
    return sitting


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(autouse=True)
def english():
    """The services' refusals read in English here (the site's default language is Vietnamese)."""
    with translation.override("en"):
        yield


def _row(calibration: Calibration, position: int) -> dict:
    return next(row for row in calibration.items if row["position"] == position)


def test_anchored_calibration_puts_new_and_trial_items_on_the_bank_scale_and_writes_them_back(world):
    sitting = build_sitting(world)
    client = logged_in_client(world.board)
    code, job = post_job(
        client, f"/api/sittings/{sitting.pk}/calibrations/", {"model": "2pl"}, content_type="application/json"
    )
    assert code == 202 and job["status"] == "succeeded", job
    calibration = Calibration.objects.get(sitting=sitting)
    assert calibration.status == Calibration.Status.DONE
    assert calibration.persons == N_CANDIDATES and calibration.anchors == 10 and calibration.converged
    # The sample's ability is estimated on the bank's scale, through the anchors.
    assert calibration.latent_mean == pytest.approx(SAMPLE_MEAN, abs=0.15)
    assert calibration.latent_sd == pytest.approx(SAMPLE_SD, abs=0.15)
    for position in range(1, 11):
        row = _row(calibration, position)
        assert row["role"] == "anchor" and row["a"] == pytest.approx(ANCHOR_A[position - 1], abs=1e-3)
        assert row["b"] == pytest.approx(ANCHOR_B[position - 1], abs=1e-3) and not service.writable(row)
    for k, position in enumerate(range(11, 15)):
        row = _row(calibration, position)
        assert row["role"] == "new" and service.writable(row)
        assert row["b"] == pytest.approx(NEW_B[k], abs=0.3), (position, row)
        assert row["a"] == pytest.approx(NEW_A[k], abs=0.45), (position, row)
        assert row["se_b"] < 0.25 and 0.7 < row["infit"] < 1.3
    trial = _row(calibration, 14)
    assert trial["trial"] and not trial["counted"]  # delivered and calibrated, never counted
    group = _row(calibration, 15)  # full marks or not
    assert group["role"] == "new" and group["b"] == pytest.approx(GROUP_B, abs=0.3)
    essay = _row(calibration, 16)
    assert essay["role"] == "left_out" and essay["note"] == "person_marked" and essay.get("a") is None

    detail = client.get(f"/api/calibrations/{calibration.pk}/").json()
    assert detail["status"] == "done" and len(detail["items"]) == 16

    # The board writes two of them back; the versions keep where they came from.
    chosen = [_row(calibration, 11)["version"], _row(calibration, 14)["version"]]
    response = client.post(
        f"/api/calibrations/{calibration.pk}/apply/", {"versions": chosen}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "applied"
    for version_id in chosen:
        version = ItemVersion.objects.get(pk=version_id)
        row = next(r for r in calibration.items if r["version"] == version_id)
        assert version.irt_a == row["a"] and version.irt_b == row["b"] and version.irt_c is None
        assert version.irt_calibration == f"calibration:{calibration.pk} sitting:{sitting.pk} 2PL anchors:10 n:800"
        assert version.irt_calibrated_at is not None
    untouched = ItemVersion.objects.get(pk=_row(calibration, 12)["version"])
    assert untouched.irt_a is None
    anchor = ItemVersion.objects.get(pk=_row(calibration, 1)["version"])
    assert (anchor.irt_a, anchor.irt_b, anchor.irt_calibration) == (ANCHOR_A[0], ANCHOR_B[0], "bank")
    calibration.refresh_from_db()
    assert calibration.applied_by == world.board and [w["version"] for w in calibration.written] == chosen
    assert calibration.written[0]["before"] is None

    # Once only.
    again = client.post(f"/api/calibrations/{calibration.pk}/apply/", {}, content_type="application/json")
    assert again.status_code == 400 and "calibration" in again.json()["error"]["fields"]


def test_without_enough_anchors_the_sitting_is_its_own_scale(world):
    sitting = build_sitting(world, n=400, anchors=False)
    calibration = service.calibration_start(by=world.board, sitting_id=sitting.pk)
    service.calibration_run(by=world.board, calibration_id=calibration.pk)
    calibration.refresh_from_db()
    assert calibration.anchors == 0 and calibration.latent_mean == 0.0 and calibration.latent_sd == 1.0
    roles = {row["position"]: row["role"] for row in calibration.items}
    assert all(roles[p] == "new" for p in range(1, 16)) and roles[16] == "left_out"
    # On its own scale the candidates' mean is 0: the items look easier by about the sample's mean.
    assert _row(calibration, 1)["b"] == pytest.approx(ANCHOR_B[0] - SAMPLE_MEAN, abs=0.35)


def test_a_re_keyed_item_is_no_anchor_and_never_written_back(world):
    sitting = build_sitting(world, n=400)
    family = FormItem.objects.filter(form__in=[sitting.form_id]).filter(position=2)
    family.update(key_override={"key": "A"})
    calibration = service.calibration_start(by=world.board, sitting_id=sitting.pk)
    service.calibration_run(by=world.board, calibration_id=calibration.pk)
    calibration.refresh_from_db()
    row = _row(calibration, 2)
    assert row["role"] == "new" and row["moderated"] and not service.writable(row)
    assert calibration.anchors == 9
    with pytest.raises(ValidationError) as refused:
        service.calibration_apply(by=world.board, calibration_id=calibration.pk, versions=[row["version"]])
    assert "re-keyed" in str(refused.value)
    # Left to itself, the write-back takes only the writable items.
    applied = service.calibration_apply(by=world.board, calibration_id=calibration.pk)
    assert {w["position"] for w in applied.written} == {11, 12, 13, 14, 15}


def test_refusals(world):
    sitting = build_sitting(world, n=250)
    # Not the board: a teacher may not calibrate into the shared bank, even an assignment of theirs.
    with pytest.raises(PermissionDenied):
        service.calibration_start(by=world.teacher, sitting_id=sitting.pk)
    client = logged_in_client(world.teacher)
    assert client.get(f"/api/sittings/{sitting.pk}/calibrations/").status_code == 404
    student = logged_in_client(make_user(Role.STUDENT, world.school))
    assert student.get(f"/api/sittings/{sitting.pk}/calibrations/").status_code == 403
    # A bad model; too few candidates.
    board = logged_in_client(world.board)
    bad = board.post(f"/api/sittings/{sitting.pk}/calibrations/", {"model": "9pl"}, content_type="application/json")
    assert bad.status_code == 400
    translation.activate("en")  # a request leaves its language active in this thread
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.CALIBRATION_MIN_PERSONS", 1000)
        with pytest.raises(ValidationError) as few:
            service.calibration_start(by=world.board, sitting_id=sitting.pk)
        assert "at least 1000" in str(few.value)
    # Running, then applying before it is done; a second one while one runs.
    calibration = service.calibration_start(by=world.board, sitting_id=sitting.pk)
    with pytest.raises(ValidationError, match="already running"):
        service.calibration_start(by=world.board, sitting_id=sitting.pk)
    with pytest.raises(ValidationError, match="finished"):
        service.calibration_apply(by=world.board, calibration_id=calibration.pk)
    service.calibration_run(by=world.board, calibration_id=calibration.pk)
    # A moderation change since: the figures are stale.
    ModerationChange.objects.create(
        sitting=sitting,
        position=3,
        kind=ModerationChange.Kind.DROP,
        reason="Câu sai",
        before={},
        after={},
        status=ModerationChange.Status.APPLIED,
        created_by=world.board,
    )
    with pytest.raises(ValidationError, match="calibrate again"):
        service.calibration_apply(by=world.board, calibration_id=calibration.pk)
    # An empty choice, a version of another sitting.
    second = service.calibration_start(by=world.board, sitting_id=sitting.pk)
    service.calibration_run(by=world.board, calibration_id=second.pk)
    with pytest.raises(ValidationError, match="at least one"):
        service.calibration_apply(by=world.board, calibration_id=second.pk, versions=[])
    response = board.post(
        f"/api/calibrations/{second.pk}/apply/", {"versions": [10**6]}, content_type="application/json"
    )
    assert response.status_code == 400 and "versions" in response.json()["error"]["fields"]
    translation.activate("en")
    # An anchor's bank parameters changed since: the scale moved.
    anchor = _row(Calibration.objects.get(pk=second.pk), 1)["version"]
    ItemVersion.objects.filter(pk=anchor).update(irt_b=0.33)
    with pytest.raises(ValidationError, match="anchor"):
        service.calibration_apply(by=world.board, calibration_id=second.pk)


def test_trial_items_are_set_in_authoring_before_the_sitting_opens(world):
    sitting = build_sitting(world, n=5)
    form = sitting.form
    client = logged_in_client(world.board)
    items = client.get(f"/api/forms/{form.pk}/").json()["items"]
    assert [i["position"] for i in items if i["trial"]] == [14]
    # The sitting has opened: the form is frozen.
    response = client.put(f"/api/forms/{form.pk}/trial/", {"positions": [1]}, content_type="application/json")
    assert response.status_code == 400 and "form" in response.json()["error"]["fields"]
    later = timezone.now() + timedelta(days=1)
    Sitting.objects.filter(pk=sitting.pk).update(opens_at=later, closes_at=later + timedelta(hours=2))
    Attempt.objects.filter(sitting=sitting).update(started_at=None)
    response = client.put(f"/api/forms/{form.pk}/trial/", {"positions": [2, 3]}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert [i["position"] for i in response.json()["items"] if i["trial"]] == [2, 3]
    assert set(FormItem.objects.filter(form=form, trial=True).values_list("position", flat=True)) == {2, 3}
    everything = list(range(1, 17))
    response = client.put(f"/api/forms/{form.pk}/trial/", {"positions": everything}, content_type="application/json")
    assert response.status_code == 400 and "positions" in response.json()["error"]["fields"]
    response = client.put(f"/api/forms/{form.pk}/trial/", {"positions": [99]}, content_type="application/json")
    assert response.status_code == 400
    other = logged_in_client(world.far_teacher)
    assert other.put(
        f"/api/forms/{form.pk}/trial/", {"positions": [1]}, content_type="application/json"
    ).status_code in (
        403,
        404,
    )
