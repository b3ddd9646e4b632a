"""Operations: health and readiness, metrics, heartbeats, structured logs, stuck-job recovery,
tenant export and deletion. Core code: it imports no app; apps add job kinds through
``prm.jobs.registry``."""
