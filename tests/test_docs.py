"""The project's documentation is its own: every reference resolves inside the
repository, the contract documents' tables say what the definitions say, and
the interfaces page names every route the service serves."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestration import contract_docs
from orchestration.contract_docs import ContractDocsError

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

#: A relative path that climbs: ``../`` once or more, then a name.
CLIMBING = re.compile(r"(?<![\w.])((?:\.\./)+[\w.-]+)")


def points_outside(relative: str, line: str) -> bool:
    """Whether ``line`` of the file ``relative`` names a file outside the
    repository: a ``../`` path that resolves above the root, or the absolute
    path of this checkout (which a clone elsewhere does not have). Tests may
    hold traversal attacks (``../../etc/passwd``) as data, so only the second
    rule applies to them. Other absolute paths (/tmp, /home/app in an image)
    are the machine's or the container's, not references to files."""
    if ROOT.as_posix() + "/" in line:
        return True
    if relative.startswith("tests/"):
        return False
    folder = (ROOT / relative).parent
    for climb in CLIMBING.findall(line):
        target = (folder / climb).resolve()
        if target != ROOT and ROOT not in target.parents:
            return True
    return False


#: A documentation file named without its folder (it would mean a file elsewhere).
BARE_DOC = re.compile(r"(?<![\w/.-])(raw-data|metrics|interfaces|contracts)\.md\b")
#: A path under docs/ or a top-level markdown file, as code and comments cite them.
CITED = re.compile(r"(?<![\w/.-])((?:docs/[\w./-]+\.md)|(?:[A-Z]+\.md))\b")
#: A relative markdown link target.
LINK = re.compile(r"\]\(((?!https?:|mailto:|#)[^)\s]+)\)")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    files = []
    for name in names:
        path = ROOT / name
        if name == THIS or name.endswith(".lock") or not path.is_file():
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def test_nothing_in_the_repository_refers_to_a_file_outside_it() -> None:
    files = tracked_text_files()
    assert len(files) > 200
    outside, bare, missing = [], [], []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{relative}:{number}"
            if points_outside(relative, line):
                outside.append(f"{where}: {line.strip()[:120]}")
            # Inside docs/ a page names its neighbours by their file names.
            if not relative.startswith("docs/") and BARE_DOC.search(line):
                bare.append(f"{where}: {line.strip()[:120]}")
            # Tests make up paths as data (docs/a.md in a change list); they
            # still may not point outside or name a page without its folder.
            for cited in [] if relative.startswith("tests/") else CITED.findall(line):
                if not (ROOT / cited).is_file():
                    missing.append(f"{where}: {cited}")
    assert not outside, "references outside the repository:\n" + "\n".join(outside)
    assert not bare, "name the docs/ folder:\n" + "\n".join(bare)
    assert not missing, "cited files that do not exist:\n" + "\n".join(missing)


def test_every_relative_link_in_the_markdown_resolves() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert len(pages) >= 5
    assert not broken, broken


def test_the_contract_tables_say_what_the_definitions_say() -> None:
    stale = contract_docs.stale_documents()
    assert not stale, f"out of date: {stale}; run: {contract_docs.REFRESH}"
    metrics = (ROOT / "docs/metrics.md").read_text(encoding="utf-8")
    overview = (ROOT / "dbt_project/docs/overview.md").read_text(encoding="utf-8")
    for name in ("revenue", "average_order_value", "target_attainment", "customer__region"):
        assert f"`{name}`" in metrics and f"`{name}`" in overview, name
    # Internal helper metrics are not part of the glossary.
    assert "`regional_revenue`" not in metrics


def test_the_check_command_passes_on_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.contract_docs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The files the tables are written from and into, in a scratch root."""
    for relative in (
        "docs",
        "dbt_project/docs",
        "dbt_project/models/semantic",
        "dbt_project/models/staging",
        "dbt_project/models/reporting",
        "analytics_core/schedules.yml",
    ):
        source, target = ROOT / relative, tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    return tmp_path


def test_a_metric_added_in_yaml_alone_reaches_the_glossary_and_the_docs_site(
    project_copy: Path,
) -> None:
    path = project_copy / "dbt_project/models/semantic/_metrics.yml"
    data = yaml.safe_load(path.read_text())
    data["metrics"].append(
        {
            "name": "refund_total",
            "label": "Refunds",
            "description": "Money | given back to customers.",
            "type": "simple",
            "type_params": {"measure": "revenue_usd"},
            "config": {"meta": {"synonyms": ["money back", "refunds"], "unit": "USD"}},
        }
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert set(contract_docs.stale_documents(project_copy)) == {
        Path("docs/metrics.md"),
        Path("dbt_project/docs/overview.md"),
    }
    assert set(contract_docs.refresh(project_copy)) == {
        Path("docs/metrics.md"),
        Path("dbt_project/docs/overview.md"),
    }
    for page in ("docs/metrics.md", "dbt_project/docs/overview.md"):
        text = (project_copy / page).read_text()
        row = next(line for line in text.splitlines() if "`refund_total`" in line)
        # One table row, the pipe in the description escaped, synonyms listed.
        assert "Money \\| given back" in row and "money back, refunds" in row, row
        ends = text.count("<!-- end generated -->") + text.count("[//]: # (end generated)")
        assert ends >= 2
    assert contract_docs.stale_documents(project_copy) == []


def test_a_raw_column_the_sources_do_not_describe_is_named(project_copy: Path) -> None:
    path = project_copy / "dbt_project/models/staging/__sources.yml"
    data = yaml.safe_load(path.read_text())
    table = next(t for t in data["sources"][0]["tables"] if t["name"] == "shop_orders")
    table["columns"] = [c for c in table["columns"] if c["name"] != "currency"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ContractDocsError, match=r"shop_orders does not describe currency"):
        contract_docs.stale_documents(project_copy)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no tables here\n", "no generated block"),
        ("<!-- generated: favourite_colours -->\nold\n<!-- end generated -->\n", "unknown"),
        ("[//]: # (generated: favourite_colours)\nold\n[//]: # (end generated)\n", "unknown"),
    ],
)
def test_a_page_with_no_or_an_unknown_block_is_refused(
    project_copy: Path, text: str, message: str
) -> None:
    (project_copy / "docs/metrics.md").write_text(text)
    with pytest.raises(ContractDocsError, match=message):
        contract_docs.stale_documents(project_copy)


def test_the_docs_site_overview_is_written_for_business_readers() -> None:
    """The docs site's landing page: where numbers are, where they come from,
    the reports and when they are sent, the glossary, the owners, the schedule;
    its generated tables marked so the site shows no marker (it prints HTML
    comments as text)."""
    text = (ROOT / "dbt_project/docs/overview.md").read_text()
    assert "<!--" not in text
    for heading in (
        "## Where to find numbers",
        "## Where each number comes from",
        "## Reports and when they are sent",
        "## Metrics glossary",
        "## Who owns what",
        "## Refresh schedule",
    ):
        assert heading in text, heading
    reports = text.split("## Reports and when they are sent", 1)[1].split("##", 1)[0]
    assert "daily at 06:00 UTC" in reports and "every Monday at 08:00 UTC" in reports
    owners = text.split("## Who owns what", 1)[1].split("##", 1)[0]
    assert "analytics-platform@example.com" in owners


def test_the_interfaces_page_names_every_route_the_service_serves(tmp_path: Path) -> None:
    from analytics_core.settings import ReportServiceSettings, Settings
    from report_service.app import ReportService, create_app

    service = ReportService(
        ReportServiceSettings(api_keys="k" * 32),
        Settings(home=tmp_path / "home"),
        start_workers=False,
    )
    paths = create_app(service).openapi()["paths"]
    served = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    page = (ROOT / "docs/interfaces.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `((?:GET|POST|PUT|PATCH|DELETE) /[^`]*)`", page, re.M))
    assert len(served) >= 8
    assert served <= documented, f"routes missing from docs/interfaces.md: {served - documented}"
    # /metrics is served outside the OpenAPI document (Prometheus' text format).
    assert documented - served <= {"GET /metrics"}, documented - served


def test_the_outside_check_tells_a_climb_out_from_a_climb_within() -> None:
    # From infra/terraform/aws, three levels up is the repository root.
    assert not points_outside("infra/terraform/aws/x.tf", 'file("../../../analytics_core/a.yml")')
    assert points_outside("infra/terraform/aws/x.tf", 'file("../../../../notes/a.yml")')
    assert points_outside("docs/metrics.md", "see ../../reference/metrics.md")
    assert not points_outside("docs/metrics.md", "see ../README.md")
    # This checkout's absolute path is a reference a clone cannot follow.
    assert points_outside("README.md", f"see {ROOT.as_posix()}/docs/metrics.md")
    assert points_outside("tests/x.py", f"open('{ROOT.as_posix()}/docs/metrics.md')")
    # Tests keep traversal attacks as data; other absolute paths are not files of ours.
    assert not points_outside("tests/x.py", '"../../etc/passwd"')
    assert not points_outside("README.md", "--keep /tmp/bench")
