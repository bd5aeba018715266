"""``analytics ci plan`` against a temporary git repository with commits that
touch each component."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from orchestration.ci_plan import PlanError, changed_files, components_of, execute, make_plan
from tests.conftest import ANALYTICS, analytics_env


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for path in (
        "README.md",
        "dbt_project/models/a.sql",
        "report_service/app.py",
        "ui/app.py",
        "orchestration/cli.py",
        "analytics_core/schedules.yml",
        "analytics_core/settings.py",
        "infra/terraform/aws/main.tf",
        "infra/terraform/snowflake/main.tf",
        "infra/docker/ui.Dockerfile",
        "infra/README.md",
    ):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("v1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


def commit(repo: Path, *paths: str) -> None:
    for path in paths:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("v2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")


def plan_of(repo: Path, main: bool = False) -> dict:
    files = changed_files("main", "HEAD", repo)
    return make_plan(files, base="main", head="HEAD", main=main).to_json()


def names(plan: dict) -> list[str]:
    return [step["name"] for step in plan["steps"]]


def test_a_readme_change_runs_nothing(repo: Path) -> None:
    commit(repo, "README.md")
    plan = plan_of(repo)
    assert plan["changed_files"] == 1 and plan["components"] == {} and plan["steps"] == []


def test_a_model_change_is_dbt_slim_ci(repo: Path) -> None:
    commit(repo, "dbt_project/models/a.sql")
    plan = plan_of(repo)
    assert list(plan["components"]) == ["dbt"]
    step = plan["steps"][0]
    assert step["commands"] == [
        "dbt clone --select state:modified+,config.materialized:incremental --state prod-artifacts",
        "dbt build --select state:modified+ --defer --state prod-artifacts",
    ]
    assert names(plan_of(repo, main=True)) == [
        "dbt slim CI",
        "dbt docs",
        "image dbt-runner",
        "image ui",
    ]


def test_a_service_change_builds_the_images_that_carry_it(repo: Path) -> None:
    commit(repo, "report_service/app.py")
    # Its image, and the dbt runner's (the scheduler checks against the catalog).
    assert names(plan_of(repo)) == [
        "tests of report_service",
        "image report-service",
        "image dbt-runner",
    ]
    on_main = plan_of(repo, main=True)
    assert on_main["steps"][1]["commands"] == [
        "docker build -f infra/docker/report-service.Dockerfile"
        " -t {registry}/report-service:{revision} .",
        "docker push {registry}/report-service:{revision}",
    ]


def test_a_model_change_rebuilds_the_images_that_carry_the_project(repo: Path) -> None:
    commit(repo, "dbt_project/models/a.sql")
    # The dbt runner builds it; the UI parses its semantic layer.
    assert names(plan_of(repo)) == ["dbt slim CI", "image dbt-runner", "image ui"]


def test_a_question_engine_change_rebuilds_the_ui_and_the_dbt_runner(repo: Path) -> None:
    commit(repo, "questions/local/engine.py")
    # Tested with the UI; the dbt runner evaluates metric alerts with it.
    assert names(plan_of(repo)) == ["tests of ui", "image ui", "image dbt-runner"]


def test_shared_code_touches_every_python_component(repo: Path) -> None:
    commit(repo, "analytics_core/settings.py")
    plan = plan_of(repo)
    assert sorted(plan["components"]) == ["orchestration", "report_service", "ui"]
    images = [n for n in names(plan) if n.startswith("image ")]
    assert images == ["image report-service", "image dbt-runner", "image ui"]  # each once
    assert "dbt slim CI" not in names(plan)
    assert not any(n.startswith("terraform") for n in names(plan))


def test_a_command_line_change_rebuilds_every_image(repo: Path) -> None:
    """Every image runs `analytics` (orchestration) as its entry point."""
    commit(repo, "orchestration/cli.py")
    plan = plan_of(repo)
    assert list(plan["components"]) == ["orchestration"]
    images = [n for n in names(plan) if n.startswith("image ")]
    assert images == ["image dbt-runner", "image report-service", "image ui"]


def test_every_image_copies_what_rebuilds_it() -> None:
    """A component rebuilds exactly the images whose builder copies its folder."""
    from analytics_core.settings import PROJECT_ROOT
    from orchestration.ci_plan import IMAGES
    from tests.infra.containers_support import copy_sources, parse_dockerfile

    folders = {
        "dbt": "dbt_project",
        "report_service": "report_service",
        "ui": "ui",
        "questions": "questions",
        "orchestration": "orchestration",
    }
    for component, folder in folders.items():
        copying = set()
        for image in ("dbt-runner", "report-service", "ui"):
            dockerfile = parse_dockerfile(PROJECT_ROOT / "infra" / "docker" / f"{image}.Dockerfile")
            builder = dockerfile.stage("builder")
            assert builder is not None
            for instruction in builder.all("COPY"):
                if "from" not in instruction.flags and folder in copy_sources(instruction)[0]:
                    copying.add(image)
        assert set(IMAGES[component]) == copying, component


def test_every_image_the_plan_builds_has_its_dockerfile() -> None:
    from analytics_core.settings import PROJECT_ROOT
    from orchestration.ci_plan import IMAGES

    for images in IMAGES.values():
        for image in images:
            assert (PROJECT_ROOT / "infra" / "docker" / f"{image}.Dockerfile").is_file(), image


def test_the_schedule_file_plans_aws_and_redeploys_the_snowflake_tasks_on_main(
    repo: Path,
) -> None:
    commit(repo, "analytics_core/schedules.yml")
    plan = plan_of(repo)
    # The scheduler and the report catalog read it; the UI does not.
    assert sorted(plan["components"]) == ["infra", "orchestration", "report_service"]
    # EventBridge's build schedule is read from the file: the AWS module changes too.
    assert names(plan) == [
        "tests of report_service",
        "tests of orchestration",
        "image report-service",
        "image dbt-runner",
        # The scheduler's component is the `analytics` command, in every image.
        "image ui",
        "infrastructure checks",
        "terraform aws",
    ]
    on_main = names(plan_of(repo, main=True))
    assert on_main[-2:] == ["terraform aws", "Snowflake tasks"]  # after terraform's outputs
    [step] = [s for s in plan_of(repo, main=True)["steps"] if s["name"] == "Snowflake tasks"]
    assert step["commands"] == [
        "analytics snowflake-ddl --terraform-outputs infra/terraform/aws --apply-with-dbt prod"
    ]


def test_infra_checks_then_plans_each_changed_root_and_applies_only_on_main(repo: Path) -> None:
    commit(repo, "infra/terraform/aws/main.tf")
    plan = plan_of(repo)
    assert [s["name"] for s in plan["steps"]] == ["infrastructure checks", "terraform aws"]
    assert plan["steps"][1]["commands"] == [
        "terraform -chdir=infra/terraform/aws init -input=false",
        "terraform -chdir=infra/terraform/aws plan -input=false"
        " -var-file=environments/{environment}.tfvars -out=tfplan",
    ]
    on_main = plan_of(repo, main=True)["steps"][1]["commands"]
    assert on_main[-1] == "terraform -chdir=infra/terraform/aws apply -input=false tfplan"
    commit(repo, "infra/terraform/snowflake/main.tf")
    # Snowflake first: the AWS module names the roles and users it creates.
    assert names(plan_of(repo)) == [
        "infrastructure checks",
        "terraform snowflake",
        "terraform aws",
    ]


def test_a_dockerfile_change_rebuilds_and_checks_but_plans_nothing(repo: Path) -> None:
    commit(repo, "infra/docker/ui.Dockerfile", "infra/README.md")
    plan = names(plan_of(repo))
    assert "infrastructure checks" in plan and "image ui" in plan
    assert not any(n.startswith("terraform") for n in plan)


def test_several_commits_add_up(repo: Path) -> None:
    commit(repo, "ui/app.py")
    commit(repo, "infra/terraform/aws/main.tf", "dbt_project/models/new.sql")
    plan = plan_of(repo)
    assert sorted(plan["components"]) == ["dbt", "infra", "ui"]
    assert plan["components"]["dbt"] == ["dbt_project/models/new.sql"]


def test_unknown_and_hostile_revisions_are_clear_errors(repo: Path) -> None:
    with pytest.raises(PlanError, match=re.escape("git diff nope...HEAD failed")):
        changed_files("nope", "HEAD", repo)
    with pytest.raises(PlanError, match="is not a git revision"):
        changed_files("--output=/tmp/x", "HEAD", repo)
    assert components_of("docs/notes.md") == ()


def test_the_command(repo: Path, tmp_path: Path) -> None:
    commit(repo, "ui/app.py")
    env = analytics_env(tmp_path / "home")
    done = subprocess.run(
        [str(ANALYTICS), "ci", "plan", "--base", "main", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)["components"]) == ["ui"]
    done = subprocess.run(
        [str(ANALYTICS), "ci", "plan", "--base", "no-such-ref"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: git diff no-such-ref...HEAD")


def test_a_plan_is_executed_in_order_and_stops_at_a_failure(repo: Path) -> None:
    commit(repo, "report_service/app.py", "dbt_project/models/a.sql")
    plan = plan_of(repo, main=True)
    environ = {"IMAGE_REGISTRY": "registry.example", "GIT_COMMIT": "abc123",
               "DOCS_URL": "s3://docs/site", "STATE_URL": "s3://artifacts/prod"}  # fmt: skip
    ran: list[list[str]] = []
    commands = execute(plan, environ, run=lambda argv: ran.append(argv) or 0)
    assert ran == commands
    assert ["docker", "push", "registry.example/report-service:abc123"] in ran
    assert [
        "analytics",
        "ci",
        "publish",
        "docs",
        "--from",
        "target",
        "--to",
        "s3://docs/site",
    ] in ran
    ran.clear()
    with pytest.raises(PlanError, match="step 'dbt slim CI' failed"):
        execute(plan, environ, run=lambda argv: ran.append(argv) or 1)
    assert len(ran) == 1
    with pytest.raises(PlanError, match="DOCS_URL is not set"):
        execute(plan, {}, run=lambda argv: 0)
