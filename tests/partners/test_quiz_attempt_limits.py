"""Quiz attempts are limited per course: after the allowed failed attempts in a row the quiz cools
down (default 3 attempts, 24 hours), then a fresh round starts; a refused attempt writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from partners.models import Course, QuizAttempt
from partners.services.enablement import QuizCoolingDown, course_create, quiz_allowance, quiz_submit
from tests.partners import helpers

pytestmark = pytest.mark.django_db


def _answers(course: Course, *, right: bool) -> dict[int, int]:
    return {q.pk: q.choices.get(is_correct=right).pk for q in course.questions.all()}


def test_defaults_are_three_attempts_and_a_day():
    course = Course(title="x", certification_name="y")
    assert (course.quiz_max_attempts, course.quiz_cooldown_hours) == (3, 24)


def test_three_failures_then_a_cool_down_then_a_fresh_round(cast):
    start = timezone.now()
    with cast.a.context():
        course = helpers.course()
        member = cast.a.memberships["p1_user"]
        for minute in range(3):
            with time_machine.travel(start + timedelta(minutes=minute), tick=False):
                assert not quiz_submit(
                    course=course, membership=member, answers=_answers(course, right=False)
                ).passed
        with time_machine.travel(start + timedelta(hours=23), tick=False):
            with pytest.raises(QuizCoolingDown) as refused:
                quiz_submit(course=course, membership=member, answers=_answers(course, right=True))
            assert refused.value.allowance.retry_at == start + timedelta(minutes=2, hours=24)
        assert QuizAttempt.objects.filter(user=member.user).count() == 3
        assert member.user.pk not in set(
            course.attempts.filter(passed=True).values_list("user_id", flat=True)
        )
        with time_machine.travel(start + timedelta(hours=24, minutes=3), tick=False):
            assert quiz_allowance(course=course, user=member.user).left == 3
            assert quiz_submit(course=course, membership=member, answers=_answers(course, right=True)).passed


def test_the_allowance_is_per_person(cast):
    with cast.a.context():
        course = helpers.course()
        for _ in range(3):
            quiz_submit(course=course, membership=cast.a.memberships["p1_user"], answers={})
        assert quiz_allowance(course=course, user=cast.a.users["p1_user"]).left == 0
        assert quiz_allowance(course=course, user=cast.a.users["p1_admin"]).left == 3


def test_course_settings_change_the_limit(cast):
    with cast.a.context():
        course = course_create(
            acting_membership=cast.a.memberships["marketing"],
            title="Strict",
            certification_name="Strict Pro",
            quiz_max_attempts=1,
            quiz_cooldown_hours=48,
        )
        helpers_course = helpers.course()
        for question in helpers_course.questions.all():
            question.course = course
            question.save(update_fields=["course"])
        quiz_submit(course=course, membership=cast.a.memberships["p1_user"], answers={})
        allowance = quiz_allowance(course=course, user=cast.a.users["p1_user"])
        assert allowance.left == 0 and allowance.retry_at is not None
        assert allowance.retry_at - timezone.now() > timedelta(hours=47)


def test_the_course_page_says_when_to_try_again(cast):
    with cast.a.context():
        course = helpers.course()
        for _ in range(3):
            quiz_submit(course=course, membership=cast.a.memberships["p1_user"], answers={})
    client = cast.a.client("p1_user")
    page = client.get(f"/partners/training/{course.pk}/").content.decode()
    assert 'data-testid="quiz-allowance"' in page and 'data-testid="submit-quiz"' not in page
    response = client.post(f"/partners/training/{course.pk}/quiz/", {})
    assert response.status_code == 302
    with cast.a.context():
        assert QuizAttempt.objects.count() == 3
