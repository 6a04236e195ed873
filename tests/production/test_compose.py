"""docker-compose.yml, Dockerfile, .env.example: validated with Debian's docker-compose (no engine needed)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# env("X"), env.int("X"), and gunicorn.conf.py's _int("X") helper.
ENV_READ = re.compile(r"""\b(?:env(?:\.\w+)?|_int)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
ENVIRON_READ = re.compile(
    r"""os\.(?:environ\.get|getenv|environ\.setdefault)\(\s*["']([A-Z][A-Z0-9_]*)["']|os\.environ\[["']([A-Z][A-Z0-9_]*)["']\]"""
)


@pytest.fixture(scope="module")
def docker_compose():
    """The docker-compose binary; installed with apt when missing (like `make test` does)."""
    binary = shutil.which("docker-compose")
    if binary is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600", "docker-compose"],
            capture_output=True,
            check=False,
            timeout=600,
        )
        binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed and could not be installed (apt-get install docker-compose)")
    return binary


def project_copy(tmp_path: Path, env_text: str) -> Path:
    """The compose file, Dockerfile and a filled-in .env in a scratch folder: never a .env in the repo,
    because the settings read it."""
    for name in ("docker-compose.yml", "Dockerfile", ".dockerignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env").write_text(env_text)
    return tmp_path


def filled_env() -> str:
    text = (ROOT / ".env.example").read_text()
    text = re.sub(r"^DJANGO_SECRET_KEY=$", "DJANGO_SECRET_KEY=compose-test-secret", text, flags=re.M)
    return re.sub(r"^POSTGRES_PASSWORD=$", "POSTGRES_PASSWORD=compose-test-password", text, flags=re.M)


def compose_config(binary: str, project: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "COMPOSE_", "WEB_"))}
    return subprocess.run(
        [binary, "-f", "docker-compose.yml", "config"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def config(docker_compose, tmp_path_factory):
    project = project_copy(tmp_path_factory.mktemp("compose"), filled_env())
    result = compose_config(docker_compose, project)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_is_valid_and_has_the_whole_stack(config):
    assert set(config["services"]) == {"db", "redis", "migrate", "web", "worker", "worker-reports", "beat"}
    assert set(config["volumes"]) >= {"pgdata", "media", "redisdata"}


def test_long_running_services_have_health_checks_and_web_uses_readyz(config):
    services = config["services"]
    for name in ("db", "redis", "web", "worker", "worker-reports"):
        assert services[name]["healthcheck"]["test"], name
    assert any("/readyz" in part for part in services["web"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])


def test_reports_have_their_own_worker_queue(config):
    worker = " ".join(config["services"]["worker"]["command"])
    reports = " ".join(config["services"]["worker-reports"]["command"])
    beat = " ".join(config["services"]["beat"]["command"])

    assert "--queues=default" in worker and "reports" not in worker
    assert "--queues=reports" in reports
    assert " beat" in f" {beat}"
    assert settings.CELERY_TASK_ROUTES["studies.tasks.*"]["queue"] == "reports"
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"


def test_app_services_share_the_image_settings_media_volume_and_wait_for_migrations(config):
    services = config["services"]
    for name in ("web", "worker", "worker-reports", "beat", "migrate"):
        service = services[name]
        env = service["environment"]
        assert service["image"] == "periscope:latest", name
        assert env["DJANGO_SETTINGS_MODULE"] == "benchmark_portal.settings.production", name
        assert env["DATABASE_URL"] == "postgres://periscope:compose-test-password@db:5432/periscope", name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["CACHE_URL"].startswith("redis://redis:6379/"), name
        assert any(v.startswith("media:") and v.split(":")[1] == env["DJANGO_MEDIA_ROOT"] for v in service["volumes"])
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["db"]["volumes"])
    # The web port is published on the host's loopback only by default (a TLS proxy goes in front).
    (port,) = services["web"]["ports"]
    assert str(port).startswith("127.0.0.1:8000:8000")


def test_compose_refuses_to_start_without_a_database_password(docker_compose, tmp_path):
    env_text = re.sub(r"^POSTGRES_PASSWORD=.*$", "", filled_env(), flags=re.M)
    result = compose_config(docker_compose, project_copy(tmp_path, env_text))

    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in result.stderr


def test_compose_rejects_an_unknown_key(docker_compose, tmp_path):
    project = project_copy(tmp_path, filled_env())
    compose = (project / "docker-compose.yml").read_text().replace("  web:\n", "  web:\n    helthcheck: {}\n", 1)
    (project / "docker-compose.yml").write_text(compose)

    assert compose_config(docker_compose, project).returncode != 0


def variables_read_by(paths) -> set[str]:
    names = set()
    for path in paths:
        text = path.read_text()
        names.update(ENV_READ.findall(text))
        names.update(a or b for a, b in ENVIRON_READ.findall(text))
    return names


def documented_variables() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), flags=re.M))


def test_every_environment_variable_of_the_settings_and_gunicorn_is_documented_in_env_example():
    read = variables_read_by(
        [*sorted((ROOT / "benchmark_portal" / "settings").glob("*.py")), ROOT / "benchmark_portal" / "gunicorn.conf.py"]
    )
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_SLOW_QUERY_MS", "GUNICORN_WORKERS"} <= read

    missing = read - documented_variables()

    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_variables_used_by_the_compose_file_are_documented_in_env_example():
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))

    assert used - documented_variables() == set()


def test_dockerfile_matches_the_project_python_and_the_database_client():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    requires = re.search(r'requires-python = ">=(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text()).group(1)

    base = re.search(r"^FROM python:(\d+\.\d+)-slim-(\w+)", dockerfile, flags=re.M)
    assert base and tuple(map(int, base.group(1).split("."))) >= tuple(map(int, requires.split(".")))
    # Debian bookworm's postgresql-client is 15: pg_dump in the image must not be older
    # than the db service's server, or scripts/backup.sh fails inside the container.
    assert base.group(2) == "bookworm" and "postgresql-client" in dockerfile
    # PostgreSQL 15 with pgvector (semantic search): the pgvector project's image of PostgreSQL 15.
    assert re.fullmatch(r"pgvector/pgvector:[\w.-]*pg15(-bookworm)?", compose["services"]["db"]["image"])
    assert "gunicorn.conf.py" in dockerfile and "collectstatic" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.M)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()

    assert {".env", ".venv", "var", ".git"} <= set(ignored)


def test_the_image_build_environment_is_enough_to_load_the_production_settings():
    # The Dockerfile runs collectstatic with placeholder secrets; a new required
    # variable in production.py must get a placeholder there too, or the build breaks.
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    export = re.search(r"RUN export (.+?) &&", dockerfile)
    assert export, "the Dockerfile should export the build-time placeholders in the collectstatic RUN"
    build_env = dict(re.findall(r"([A-Z][A-Z0-9_]*)=(\S*)", export.group(1)))
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.production", **build_env}

    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.STORAGES['staticfiles']['BACKEND'])"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "benchmark_portal.staticfiles.StaticFilesStorage"
