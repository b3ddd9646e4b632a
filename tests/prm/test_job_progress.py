"""The job progress component: htmx polls the fragment; HTTP 286 stops polling once finished.
Partner users follow only their partner's jobs."""

from __future__ import annotations

import pytest

from prm.jobs.models import Job
from prm.jobs.services import job_create, job_fail, job_progress, job_start, job_succeed

pytestmark = pytest.mark.django_db


def _job(cast, partner_key="p1", who="p1_admin") -> Job:
    with cast.a.context():
        return job_create(
            kind="import:partners",
            acting_user=cast.a.users[who],
            partner=cast.a.partners[partner_key] if partner_key else None,
        )


def test_running_job_answers_200_and_keeps_polling(cast):
    job = _job(cast)
    with cast.a.context():
        job_start(job)
        job_progress(job, 40, {"rows": 400})
    response = cast.a.client("p1_admin").get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 200
    assert b'data-status="running"' in response.content
    assert b'hx-trigger="every 1s"' in response.content
    assert b"40%" in response.content


def test_queued_job_answers_200_and_keeps_polling(cast):
    job = _job(cast)
    response = cast.a.client("p1_admin").get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 200  # not 286: htmx would stop polling a job that has not started
    assert b'data-status="queued"' in response.content
    assert f'hx-get="/jobs/{job.pk}/progress/"'.encode() in response.content
    assert b'hx-trigger="every 1s"' in response.content
    assert b"0%" in response.content


def test_succeeded_job_answers_286_with_the_result_and_no_polling(cast):
    job = _job(cast)
    with cast.a.context():
        job_start(job)
        job_succeed(job, {"kind": "partners", "created": 3, "updated": 1, "errors": []})
    response = cast.a.client("p1_admin").get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 286
    assert b"hx-trigger" not in response.content and b"hx-get" not in response.content
    assert b'data-status="succeeded"' in response.content and b"created" in response.content


def test_failed_job_answers_286_with_the_error(cast):
    job = _job(cast)
    with cast.a.context():
        job_start(job)
        job_fail(
            job,
            "2 invalid rows; nothing was imported.",
            {"errors": [{"line": 3, "column": "country", "message": "bad"}]},
        )
    response = cast.a.client("p1_admin").get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 286
    assert b"hx-trigger" not in response.content and b"hx-get" not in response.content
    assert b"2 invalid rows" in response.content
    assert b"country" in response.content


def test_a_finished_job_is_not_restarted(cast):
    job = _job(cast)
    with cast.a.context():
        job_start(job)
        job_succeed(job, {"ok": True})
        assert job_start(job) is False
        job.refresh_from_db()
        assert job.status == Job.Status.SUCCEEDED


def test_progress_is_clamped_to_0_100(cast):
    job = _job(cast)
    with cast.a.context():
        job_progress(job, 250)
        job.refresh_from_db()
        assert job.progress == 100
        job_progress(job, -5)
        job.refresh_from_db()
        assert job.progress == 0


@pytest.mark.parametrize("path", ["/jobs/{pk}/", "/jobs/{pk}/progress/"])
def test_partner_users_see_only_their_partners_jobs(cast, path):
    own = _job(cast, "p1")
    other = _job(cast, "p2", who="p2_admin")
    staff = _job(cast, None, who="admin")
    client = cast.a.client("p1_user")
    assert client.get(path.format(pk=own.pk)).status_code == 200
    assert client.get(path.format(pk=other.pk)).status_code == 404
    assert client.get(path.format(pk=staff.pk)).status_code == 404
    assert cast.a.client("manager").get(path.format(pk=other.pk)).status_code == 200
    assert cast.b.client("admin").get(path.format(pk=own.pk)).status_code == 404


def test_job_list_is_scoped_like_the_detail(cast):
    own = _job(cast, "p1")
    other = _job(cast, "p2", who="p2_admin")
    listed = [j.pk for j in cast.a.client("p1_user").get("/jobs/").context["page"]]
    assert listed == [own.pk]
    listed = {j.pk for j in cast.a.client("admin").get("/jobs/").context["page"]}
    assert listed == {own.pk, other.pk}
