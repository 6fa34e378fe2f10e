"""The former districts' data file: every unit of today has the districts and the province it
was formed from, consistent with the communes' file; and the build script reproduces it."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from handlers.broadcasts.compose import former_province
from handlers.communes import CommuneDirectory
from handlers.former_districts import DATA_FILE, FormerDistrictDirectory

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "build_former_districts.py"
sys.path.insert(0, str(SCRIPT.parent))
from build_former_districts import MAPPING_REPO, UNITS_REPO  # noqa: E402

MIRRORS = (MAPPING_REPO, UNITS_REPO)  # local clones; the test is skipped without them
PREFIXES = {"quan": "quận", "huyen": "huyện", "thi_xa": "thị xã", "thanh_pho": "thành phố"}


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_every_unit_of_today_has_its_former_districts_and_province() -> None:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    communes = {c.code: c for c in CommuneDirectory.load()}
    units = data["units"]
    assert len(units) == 114 == data["counts"]["units"]
    assert [u["code"] for u in units] == [c.code for c in communes.values()]
    assert all(u["name"] == communes[u["code"]].name and u["kind"] == communes[u["code"]].kind
               for u in units)
    districts = {f"{PREFIXES[d['kind']]} {d['name']}": d for d in data["districts"]}
    assert len(districts) == len(data["districts"]) == data["counts"]["districts"] == 27
    for unit in units:
        assert unit["former_districts"], unit["code"]
        assert set(unit["former_districts"]) == set(unit["formed_from"]), unit["code"]
        assert unit["former_province"] == former_province(unit["code"]), unit["code"]
        assert {districts[name]["province"] for name in unit["former_districts"]} == {
            unit["former_province"]}, unit["code"]
    used = {name for u in units for name in u["former_districts"]}
    assert used == set(districts)  # every former district became part of some unit
    several = [u for u in units if len(u["former_districts"]) > 1]
    assert len(several) == data["counts"]["several_districts"] == len(data["several_districts"])
    assert all(unicodedata.is_normalized("NFC", s) for s in strings(data))
    text = DATA_FILE.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)  # the comments too


def test_known_units_and_their_former_districts() -> None:
    directory = FormerDistrictDirectory.load()
    by_name = {d.full_name: d for d in directory}
    assert [d.full_name for d in directory][:2] == ["quận Hồng Bàng", "quận Ngô Quyền"]
    assert by_name["thị xã Kinh Môn"].province == "haiduong"
    an_lao = by_name["huyện An Lão"]
    names = {c.code: c.name for c in CommuneDirectory.load()}
    assert sorted(names[c] for c in an_lao.communes) == [
        "An Hưng", "An Khánh", "An Lão", "An Quang", "An Trường", "Phù Liễn"]
    # Phù Liễn: mostly the former Kiến An, and part of An Lão's Trường Sơn township.
    assert [d.full_name for d in directory.formed_from("11446")] == [
        "quận Kiến An", "huyện An Lão"]
    assert {c: [d.full_name for d in others] for c, others in directory.partly_from(
        [an_lao.code]).items()} == {"11446": ["quận Kiến An"]}
    # The mapping put part of Bình Giang's xã Long Xuyên into phường Kinh Môn; the resolution
    # names Kinh Môn's own phường Long Xuyên (see the file's mismatches).
    assert [d.full_name for d in directory.formed_from("10675")] == ["thị xã Kinh Môn"]
    assert directory.communes_of([]) == ()


@pytest.mark.skipif(not all(m.exists() for m in MIRRORS),
                    reason="the public datasets' mirrors are not on this machine")
def test_the_build_script_reproduces_the_data_file() -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "UNRESOLVED" not in run.stdout
