"""The contract models ship with the app: ``resources/`` goes into the wheel (pyproject's
hatchling force-include) and into the PyInstaller bundle (installer/recepcja.spec), and
``recepcja.resources`` finds ``p1-referral`` (and ``cer``) in each installed layout.

The layouts are built from what pyproject.toml and the spec declare, then the real
``resources.py`` is imported from them in a fresh interpreter."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "desktop" / "recepcja" / "resources.py"
CONTRACT_FILES = {
    "p1-referral": ("skierowania.wsdl", "skierowania.xsd", "kontekst.xsd", "README.md"),
    "cer": ("cer.wsdl", "cer.xsd", "README.md"),
}


def wheel_mapping() -> dict[str, str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]


def bundle_mapping() -> dict[str, str]:
    spec = (ROOT / "installer" / "recepcja.spec").read_text(encoding="utf-8")
    return dict(re.findall(r'\(str\(ROOT / "([\w/.-]+)"\), "([\w/.-]+)"\)', spec))


def test_the_wheel_and_the_bundle_carry_the_whole_resources_folder():
    assert wheel_mapping().get("resources") == "recepcja/resources"
    assert bundle_mapping().get("resources") == "recepcja/resources"
    for folder, names in CONTRACT_FILES.items():
        for name in names:
            assert (ROOT / "resources" / folder / name).is_file(), f"{folder}/{name}"


def _install(mapping: dict[str, str], target: Path) -> None:
    """Copy what ``mapping`` (source in the repository -> path in the archive) declares."""
    for source, destination in mapping.items():
        shutil.copytree(ROOT / source, target / destination)


PROBE = textwrap.dedent("""
    import sys
    {setup}
    sys.path.insert(0, {package_root!r})
    import recepcja.resources as r
    from lxml import etree
    assert r.__file__.startswith({package_root!r}), r.__file__
    for parts in ({files!r}):
        path = r.resource(*parts)
        assert path.is_file(), path
        print(path)
    # the WSDL's schema resolves its xs:import of P1's context schema beside it
    etree.XMLSchema(etree.parse(str(r.resource("p1-referral", "skierowania.xsd"))))
""")


def _probe(package_root: Path, setup: str = "") -> list[str]:
    files = tuple((folder, name) for folder, names in CONTRACT_FILES.items() for name in names)
    code = PROBE.format(setup=setup, package_root=str(package_root), files=files)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=package_root, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("layout", ["wheel", "bundle"])
def test_resources_py_finds_the_referral_contract_in_an_installed_layout(tmp_path, layout):
    site = tmp_path / "site"
    (site / "recepcja").mkdir(parents=True)
    (site / "recepcja" / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(SOURCE, site / "recepcja" / "resources.py")
    if layout == "wheel":
        _install(wheel_mapping(), site)
        found = _probe(site)
        expected_root = site / "recepcja" / "resources"
    else:  # PyInstaller: datas under sys._MEIPASS, the modules elsewhere
        bundle = tmp_path / "bundle"
        _install(bundle_mapping(), bundle)
        found = _probe(site, setup=f"sys._MEIPASS = {str(bundle)!r}")
        expected_root = bundle / "recepcja" / "resources"
    assert found and all(Path(path).is_relative_to(expected_root) for path in found), found
