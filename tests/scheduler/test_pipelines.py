"""The Jenkinsfile and the GitHub Actions workflow are thin: they run the
project's own commands, the same ones in the same order, and hold no secret."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from analytics_core.settings import PROJECT_ROOT
from tests.conftest import ANALYTICS

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
JENKINSFILE = PROJECT_ROOT / "Jenkinsfile"
UV = "python3 -m uv run "


def workflow_commands() -> list[str]:
    data = yaml.safe_load(WORKFLOW.read_text())
    [job] = data["jobs"].values()
    return [step["run"].strip() for step in job["steps"] if "run" in step]


def jenkins_commands() -> list[str]:
    return re.findall(r"\bsh '([^']+)'", JENKINSFILE.read_text())


def project_commands(commands: list[str]) -> list[str]:
    """The commands that run project code (the key file step is plumbing)."""
    return [c for c in commands if c == "bash .ci/run" or c.startswith(UV)]


def test_both_pipelines_run_the_same_project_commands() -> None:
    github = project_commands(workflow_commands())
    jenkins = project_commands(jenkins_commands())
    assert github == jenkins
    assert [c.split()[:6] for c in github] == [
        ["bash", ".ci/run"],
        ["python3", "-m", "uv", "run", "analytics", "ci"],
        ["python3", "-m", "uv", "run", "analytics", "ci"],
        ["python3", "-m", "uv", "run", "analytics", "ci"],
    ]
    # Nothing else runs but a one-line key file step.
    others = [c for c in workflow_commands() if c not in github]
    assert len(others) == 1 and others[0].startswith("umask 077 && printf")


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_every_command_they_call_exists() -> None:
    subcommands = {c.split()[6] for c in project_commands(workflow_commands()) if UV in c}
    assert subcommands == {"plan", "fetch-state", "execute"}
    for name in sorted(subcommands):
        done = subprocess.run(
            [str(ANALYTICS), "ci", name, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (name, done.stderr)


def test_no_secret_is_written_in_them() -> None:
    workflow = WORKFLOW.read_text()
    credential = re.compile(r"^\s*([A-Z_]*(PASSWORD|SECRET|TOKEN|KEY))\s*:\s*(\S.*)$")
    assigned = [m for m in map(credential.match, workflow.splitlines()) if m]
    assert assigned, "the Snowflake key is passed in"
    for match in assigned:
        assert match.group(3).startswith("${{ secrets."), match.group(0)
    assert "secrets." in workflow and "id-token: write" in workflow  # OIDC, no stored AWS keys
    jenkins = JENKINSFILE.read_text()
    assert "credentials('snowflake-ci-key')" in jenkins
    assert not re.search(r"AKIA[0-9A-Z]{16}", workflow + jenkins)


def test_plan_and_test_artifacts_are_kept() -> None:
    assert "test-artifacts/" in WORKFLOW.read_text()
    assert "test-artifacts/**" in JENKINSFILE.read_text()
    assert Path(PROJECT_ROOT / ".ci" / "run").is_file()
