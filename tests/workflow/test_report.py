"""The figures and the report of the test run, checked as a reader meets them.

Every figure: drawn at a useful size, not blank, its titles and labels in words and unit
typography from the label table (each PNG carries its words, carbonbalance.plots.base.finish).

The report: built with ``snakemake --report`` and opened in headless Chromium (Debian's
chromium and chromium-driver, installed by tools/chromium.sh when missing; the test fails,
never skips, without them).  The page must render without console errors, every category must
be reachable, and each stage must show at least one figure and one table; screenshots of the
home page and of one figure and one table per stage are saved under
``test-artifacts/report/`` of the repository for the record.
"""

import json
import re
import shutil
import subprocess
import time

import numpy as np
import pytest
from conftest import snakemake
from helpers import ROOT, TEST
from PIL import Image

from carbonbalance.plots.labels import LABELS, VARIABLES, pretty_units

ARTIFACTS = ROOT / "test-artifacts" / "report"

#: the figures of the test configuration (2 years, three levels, analysis at the county level)
YEARS = (2019, 2020)
LEVELS = ("county", "city", "province")
SCHEMES = ("fan2024", "peng2023", "jiangxi2024")
EXPECTED_FIGURES = (
    {f"{name}_{y}.png" for name in ("casa", "emissions", "budget", "hotspots", "mgwr_county") for y in YEARS}
    | {f"{name}_{lvl}.png" for name in ("budget_trends", "lmdi", "compensation") for lvl in LEVELS}
    | {f"budget_years_{v}.png" for v in ("ce_tco2", "cs_tco2", "cb_tco2", "cbi", "ecc", "esc")}
    | {f"budget_years_zone_{s}.png" for s in SCHEMES}
    | {"centre_of_gravity.png", "moran_lisa_county.png", "kde_dagum_county.png", "sdm_effects_county.png",
       "input_checks.png", "zonal_means.png"}
)  # fmt: skip

#: what a column name or an ASCII unit looks like in a figure's words
COLUMN_NAME = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
ASCII_UNIT = re.compile(r"\bCO2\b|\b(?:m|km|yr|month|sr)-\d\b|10\^|\bdegC\b")
#: the readable names of the label table (quantities and the yearbook's variables), as printed
READABLE = {pretty_units(n).lower() for n, _ in LABELS.values()} | {pretty_units(v).lower() for v in VARIABLES.values()}


def test_every_figure_is_drawn_and_titled_from_the_label_table(test_run):
    wf, _ = test_run
    folder = wf / "results/test/figures"
    found = {p.name for p in folder.glob("*.png")}
    assert EXPECTED_FIGURES <= found, sorted(EXPECTED_FIGURES - found)
    problems = []
    for name in sorted(found):
        with Image.open(folder / name) as img:
            width, height = img.size
            words = json.loads(img.text.get("Description", "{}"))
            pixels = np.asarray(img.convert("RGB").reduce(4), dtype=np.int16)
        inked = (np.abs(pixels - 255).sum(axis=2) > 30).mean()  # share of pixels that are not white
        colours = len(np.unique(pixels.reshape(-1, 3) // 16, axis=0))
        if width < 800 or height < 400:
            problems.append(f"{name}: {width} x {height} px")
        if inked < 0.05 or colours < 12:
            problems.append(f"{name}: nearly blank ({inked:.1%} inked, {colours} colours)")
        shown = words.get("titles", []) + words.get("labels", [])
        if not words.get("titles"):
            problems.append(f"{name}: no title")
        problems += [f"{name}: column name in {t!r}" for t in shown if COLUMN_NAME.search(t)]
        problems += [f"{name}: ASCII unit in {t!r}" for t in shown if ASCII_UNIT.search(t)]
        if not any(r in t.lower() for t in shown for r in READABLE):
            problems.append(f"{name}: no quantity named from the label table in {shown[:4]}")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def report_html(test_run, tmp_path_factory):
    wf = tmp_path_factory.mktemp("report") / "wf"  # Snakemake writes and locks there: a copy
    shutil.copytree(test_run[0], wf, symlinks=True)
    snakemake(wf, "--report", "report.html", "--configfile", *TEST)
    return wf / "report.html"


@pytest.fixture(scope="module")
def browser():
    proc = subprocess.run([str(ROOT / "tools/chromium.sh")], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"tools/chromium.sh failed:\n{proc.stderr[-3000:]}"
    chromium, driver_path = proc.stdout.split()[-2:]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, what, seconds=30.0):
    end = time.time() + seconds
    while time.time() < end:
        try:
            found = condition()
        except Exception:  # the app is still rendering
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"the report did not show {what} within {seconds:.0f} s")


def _link(driver, text):
    from selenium.webdriver.common.by import By

    return _wait(driver, lambda: [a for a in driver.find_elements(By.TAG_NAME, "a") if a.text == text], repr(text))[0]


def _open(driver, category, subcategory=None):
    """Show ``category`` (and its ``subcategory``) from wherever the viewer is."""
    from selenium.webdriver.common.by import By

    back = [a for a in driver.find_elements(By.TAG_NAME, "a") if a.text == "Results"]
    if back:  # the breadcrumb back to the list of categories
        back[0].click()
    _link(driver, category).click()
    if subcategory is not None:
        _link(driver, subcategory).click()


def _shown(driver):
    """'img' or 'table' for what the viewer shows after a result's eye was clicked."""
    from selenium.webdriver.common.by import By

    def content():
        if driver.find_elements(By.CSS_SELECTOR, "img[src^='data:image/png']"):  # not the logo (svg)
            return "img"
        frames = driver.find_elements(By.TAG_NAME, "iframe")
        if frames:
            driver.switch_to.frame(frames[0])
            try:
                rows = driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
                return "table" if rows else None
            finally:
                driver.switch_to.default_content()
        return None

    return _wait(driver, content, "a figure or a table")


def test_the_report_renders_and_every_stage_shows_a_figure_and_a_table(report_html, browser):
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver = browser
    driver.get(report_html.as_uri())
    _link(driver, "5 Budget")
    home = driver.find_element(By.TAG_NAME, "body").text
    assert "regional carbon budget of run test" in home and "GDAL" in home and "SHA-256" in home, home[:2000]
    driver.save_screenshot(str(ARTIFACTS / "home.png"))
    categories = ["1 Ingest", "2 CASA", "3 Emissions", "4 Zonal statistics", "5 Budget", "6 Spatial analysis",
                  "7 Spatial econometrics", "8 Run"]  # fmt: skip
    menu = {a.text for a in driver.find_elements(By.TAG_NAME, "a")}
    assert set(categories) <= menu, sorted(menu)
    reached = {}
    for category in categories:
        _open(driver, category)
        eyes = driver.find_elements(By.CSS_SELECTOR, "a[iconname='eye']")
        if eyes:  # a category without subcategories lists its results at once
            subcategories = [None]
        else:
            skip = {"", "Results", *categories}  # the breadcrumb and the menu
            subcategories = [a.text for a in driver.find_elements(By.TAG_NAME, "a") if a.text not in skip]
        kinds = {}
        for sub in subcategories:
            if sub is not None:
                _open(driver, category, sub)
            count = len(
                _wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "a[iconname='eye']"), f"{category} {sub}")
            )
            for k in range(count):
                eye = driver.find_elements(By.CSS_SELECTOR, "a[iconname='eye']")[k]
                eye.click()
                kind = _shown(driver)
                if kind not in kinds:
                    kinds[kind] = f"{category} / {sub or ''}"
                    tag = re.sub(r"\W+", "_", f"{category}_{kind}").strip("_").lower()
                    driver.save_screenshot(str(ARTIFACTS / f"{tag}.png"))
                if {"img", "table"} <= set(kinds) or category == "8 Run":
                    break
            if {"img", "table"} <= set(kinds) or (category == "8 Run" and kinds):
                break
        reached[category] = kinds
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    print("\nreport screenshots:", ", ".join(sorted(p.name for p in ARTIFACTS.glob("*.png"))), "in", ARTIFACTS)
    assert not errors, errors
    missing = {c: sorted({"img", "table"} - set(k)) for c, k in reached.items() if c != "8 Run"}
    missing = {c: m for c, m in missing.items() if m}
    assert not missing, f"stages without a figure or a table in the report: {missing}"
    assert "table" in reached["8 Run"]
