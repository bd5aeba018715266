"""``analytics ci plan --base REF``: which components a change touches, and
what the pipeline runs for each.

The pipelines (``Jenkinsfile``, ``.github/workflows/``) are thin: they ask
this command and run the steps it prints, so the decisions are made, and
tested, here.

Components, by path (first match wins; shared code counts for everything that
imports it):

- ``dbt``: the dbt project. Slim CI: ``dbt clone`` of the modified incremental
  models from production, then ``dbt build --select state:modified+ --defer
  --state <production manifest>``; on main, the docs site too.
- ``report_service``, ``ui``: Python services with their own image; built and
  pushed only when they changed. An image is rebuilt when anything it copies
  changed: the dbt runner's and the UI's carry the dbt project (the UI parses
  its semantic layer), and every image runs ``analytics`` (``orchestration``).
- ``orchestration``: the command line, the scheduler and the Snowflake DDL.
- The schedule file (``analytics_core/schedules.yml``) counts for the
  scheduler and the report service (its catalog shows each report's cron),
  re-renders the Snowflake DDL and plans the AWS Terraform (its EventBridge
  build schedule is read from the file).
- ``infra``: ``infra/check`` (terraform fmt, checkov, hadolint), then
  ``terraform plan`` of each root module that changed
  (``infra/terraform/aws``, ``infra/terraform/snowflake``) with the
  environment's tfvars; on main ``apply`` of that very plan.
- ``analytics_core/``, ``pyproject.toml``, ``uv.lock`` and the Dockerfiles
  touch every Python component.

Files outside every component (the README, notes) need no step.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics_core.errors import AnalyticsError

#: Python components (each may have an image).
PYTHON = ("report_service", "ui", "orchestration")

#: (glob, components) in order; the first matching glob decides a file.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dbt_project/*", ("dbt",)),
    ("dbt_project.yml", ("dbt",)),
    ("profiles.yml.example", ("dbt",)),
    ("report_service/*", ("report_service",)),
    # The question engine: tested with the UI (tests/questions), carried by the
    # UI's image and the dbt runner's (metric alerts after builds).
    ("questions/*", ("ui", "questions")),
    ("ui/*", ("ui",)),
    ("orchestration/*", ("orchestration",)),
    ("infra/docker/*", (*PYTHON, "infra")),
    (".dockerignore", PYTHON),
    ("infra/terraform/aws/*", ("infra", "terraform:aws")),
    ("infra/terraform/snowflake/*", ("infra", "terraform:snowflake")),
    ("infra/*", ("infra",)),
    # Before analytics_core/*: the schedule is package data of analytics_core
    # read by the scheduler and the report catalog (not the UI); it also
    # drives the Snowflake tasks and the AWS build schedule.
    (
        "analytics_core/schedules.yml",
        ("orchestration", "report_service", "snowflake", "infra", "terraform:aws"),
    ),
    ("analytics_core/*", PYTHON),
    ("pyproject.toml", PYTHON),
    ("uv.lock", PYTHON),
)

#: The test folders of each Python component.
TESTS = {
    "report_service": ("tests/report_service",),
    "ui": ("tests/ui", "tests/questions"),
    "orchestration": ("tests/cli", "tests/scheduler", "tests/publish"),
}

#: Images, by component (``infra/docker/<image>.Dockerfile``): the images that
#: copy the component's files. Every image runs the ``analytics`` command
#: (``orchestration``) as its entry point.
IMAGES = {
    # The UI's image carries the dbt project too: it parses the semantic layer.
    "dbt": ("dbt-runner", "ui"),
    # The dbt runner carries the report catalog (the scheduler checks against it).
    "report_service": ("report-service", "dbt-runner"),
    "ui": ("ui",),
    # The dbt runner evaluates metric alerts after its builds.
    "questions": ("ui", "dbt-runner"),
    "orchestration": ("dbt-runner", "report-service", "ui"),
}

#: Terraform root modules, by the marker their paths carry.
TERRAFORM_ROOTS = {
    "terraform:snowflake": "infra/terraform/snowflake",
    "terraform:aws": "infra/terraform/aws",
}


class PlanError(AnalyticsError):
    """git could not say what changed, or a step cannot run."""


#: What ``{name}`` in a step's commands stands for, and where it comes from.
PLACEHOLDERS = {
    "docs_url": "DOCS_URL",
    "state_url": "STATE_URL",
    "registry": "IMAGE_REGISTRY",
    "revision": "GIT_COMMIT",
    "environment": "DEPLOY_ENVIRONMENT",
}


def resolve(command: str, environ: dict[str, str]) -> list[str]:
    """A step's command as arguments, placeholders filled from ``environ``."""

    def value(match: re.Match[str]) -> str:
        variable = PLACEHOLDERS[match.group(1)]
        if not environ.get(variable):
            raise PlanError(f"{variable} is not set (needed by: {command})")
        return environ[variable]

    return shlex.split(re.sub(r"\{(" + "|".join(PLACEHOLDERS) + r")\}", value, command))


def execute(
    plan: dict[str, Any],
    environ: dict[str, str],
    *,
    dry_run: bool = False,
    run: Any = None,
) -> list[list[str]]:
    """Run every command of ``plan`` in order (no shell); stop at the first failure."""
    runner = run or (lambda argv: subprocess.run(argv, check=False).returncode)  # noqa: S603
    done: list[list[str]] = []
    commands = [(s["name"], c) for s in plan.get("steps", []) for c in s["commands"]]
    argvs = [(name, resolve(c, environ)) for name, c in commands]  # all checked first
    for name, argv in argvs:
        done.append(argv)
        if dry_run:
            continue
        code = runner(argv)
        if code != 0:
            raise PlanError(f"step {name!r} failed: {' '.join(argv)} exited {code}")
    return done


@dataclass
class Plan:
    base: str
    head: str
    files: list[str]
    components: dict[str, list[str]] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "changed_files": len(self.files),
            "components": self.components,
            "steps": self.steps,
        }


def components_of(path: str) -> tuple[str, ...]:
    """The components a changed path belongs to (none: nothing to run)."""
    for pattern, components in RULES:
        if fnmatch.fnmatchcase(path, pattern):
            return components
    return ()


def changed_files(base: str, head: str = "HEAD", repo: Path | None = None) -> list[str]:
    """Paths changed between the merge base of ``base`` and ``head``, and ``head``."""
    for ref in (base, head):
        if ref.startswith("-"):
            raise PlanError(f"{ref!r} is not a git revision")
    try:
        done = subprocess.run(  # noqa: S603 - git, with revisions that cannot be options
            ["git", "diff", "--name-only", "--no-renames", f"{base}...{head}", "--"],  # noqa: S607
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PlanError(f"git diff could not run: {exc}") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise PlanError(f"git diff {base}...{head} failed: {message}")
    return [line for line in done.stdout.splitlines() if line]


def make_plan(
    files: Sequence[str],
    *,
    base: str,
    head: str,
    main: bool = False,
    state_dir: str = "prod-artifacts",
) -> Plan:
    """The components of ``files`` and the steps for them. ``main``: the change
    is on the main branch (deploy: push images, publish docs, apply)."""
    plan = Plan(base=base, head=head, files=list(files))
    for path in files:
        for component in components_of(path):
            plan.components.setdefault(component, []).append(path)
    touched = set(plan.components)
    if "dbt" in touched:
        plan.steps.append(
            {
                "component": "dbt",
                "name": "dbt slim CI",
                "commands": [
                    # Production's incremental models as they are, so modified ones
                    # build incrementally on top instead of from scratch.
                    "dbt clone --select state:modified+,config.materialized:incremental"
                    f" --state {state_dir}",
                    f"dbt build --select state:modified+ --defer --state {state_dir}",
                ],
            }
        )
        if main:
            plan.steps.append(
                {
                    "component": "dbt",
                    "name": "dbt docs",
                    "commands": [
                        "dbt docs generate",
                        "analytics ci publish docs --from target --to {docs_url}",
                        "analytics ci publish state --from target --to {state_url}",
                    ],
                }
            )
    for component in PYTHON:
        if component in touched:
            plan.steps.append(
                {
                    "component": component,
                    "name": f"tests of {component}",
                    "commands": ["uv run pytest " + " ".join(TESTS[component])],
                }
            )
    built: set[str] = set()
    for component, images in IMAGES.items():
        for image in images:
            if component not in touched or image in built:
                continue
            built.add(image)
            tag = f"{{registry}}/{image}:{{revision}}"
            commands = [f"docker build -f infra/docker/{image}.Dockerfile -t {tag} ."]
            if main:
                commands.append(f"docker push {tag}")
            plan.steps.append(
                {"component": component, "name": f"image {image}", "commands": commands}
            )
    if "infra" in touched:
        plan.steps.append(
            {"component": "infra", "name": "infrastructure checks", "commands": ["infra/check"]}
        )
    # Snowflake first: the AWS module's secrets and roles name what it creates.
    for marker, root in TERRAFORM_ROOTS.items():
        if marker not in touched:
            continue
        commands = [
            f"terraform -chdir={root} init -input=false",
            f"terraform -chdir={root} plan -input=false"
            " -var-file=environments/{environment}.tfvars -out=tfplan",
        ]
        if main:
            commands.append(f"terraform -chdir={root} apply -input=false tfplan")
        plan.steps.append(
            {
                "component": "infra",
                "name": f"terraform {root.rsplit('/', 1)[1]}",
                "commands": commands,
            }
        )
    if "snowflake" in touched and main:
        # After terraform: the gateway URL and role ARN come from its outputs.
        # On a branch the orchestration tests render and parse the same DDL.
        plan.steps.append(
            {
                "component": "orchestration",
                "name": "Snowflake tasks",
                "commands": [
                    "analytics snowflake-ddl --terraform-outputs infra/terraform/aws"
                    " --apply-with-dbt prod"
                ],
            }
        )
    for marker in ("snowflake", *TERRAFORM_ROOTS):
        plan.components.pop(marker, None)
    return plan
