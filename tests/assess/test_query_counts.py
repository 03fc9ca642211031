"""The queries of delivery's hot paths do not grow with the items of a form or the answers given.

An answer and a flag are one transaction of a fixed number of statements (the attempt row
locked and read, the event appended, the latest answer upserted, the attempt's count and last
sequence raised: FIELD-NOTES); the state a reconnecting client gets is a fixed number of
reads. Forms never change, so their content and answer rules are cached per process: the
first use of a form costs one query more, and only the first.
"""

from __future__ import annotations

import pytest

from assess import selectors, services
from assess.models import FormItem
from tests.factories import make_sitting

pytestmark = pytest.mark.django_db

# The test runs inside a transaction, so each service's own transaction is a savepoint:
# SAVEPOINT and RELEASE are two of the statements counted.
ANSWER_QUERIES = 6  # savepoint, lock and read the attempt, event, latest answer, count, release
FORM_INDEX_QUERIES = 1  # the form's answer rules and ids, on first use in a process
STATE_QUERIES = 2  # the attempt with its sitting, the answers with their positions
FORM_CONTENT_QUERIES = 1  # the form's student view, on first use in a process


@pytest.fixture(params=[5, 40], ids=["5 items", "40 items"])
def answered(request):
    """A started attempt on a form of n items, every item answered and half of them flagged."""
    sitting = make_sitting(n_items=request.param, n_students=1)
    attempt = sitting.attempts.get()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    options = {fi.position: fi.response_ids["options"] for fi in FormItem.objects.filter(form_id=attempt.form_id)}
    seq = 0
    for position, ids in sorted(options.items()):
        seq += 1
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq, item=position, value=ids["B"])
        if position % 2:
            seq += 1
            services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=seq, item=position, flagged=True)
    return attempt, token, options, seq


def test_an_answer_costs_the_same_whatever_the_form_and_history(answered, django_assert_num_queries):
    attempt, token, options, seq = answered
    last = max(options)
    with django_assert_num_queries(ANSWER_QUERIES):
        services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=seq + 1, item=last, value=options[last]["C"]
        )
    selectors.form_index.cache_clear()  # a process that has not seen the form yet
    with django_assert_num_queries(ANSWER_QUERIES + FORM_INDEX_QUERIES):
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq + 2, item=1, value=options[1]["D"])


def test_a_flag_costs_the_same_whatever_the_form_and_history(answered, django_assert_num_queries):
    attempt, token, options, seq = answered
    with django_assert_num_queries(ANSWER_QUERIES):
        services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=seq + 1, item=max(options), flagged=True)


def test_the_state_costs_the_same_whatever_the_form_and_answers(answered, django_assert_num_queries):
    attempt, _token, options, _seq = answered
    selectors.form_index.cache_clear()
    selectors.form_content.cache_clear()
    with django_assert_num_queries(STATE_QUERIES + FORM_INDEX_QUERIES + FORM_CONTENT_QUERIES):
        state = selectors.attempt_state(attempt.pk)
    assert len(state["answers"]) == len(options) and len(state["flags"]) == (len(options) + 1) // 2
    with django_assert_num_queries(STATE_QUERIES):
        again = selectors.attempt_state(attempt.pk)
    assert again["answers"] == state["answers"] and again["items"] == state["items"]
