"""Makes `+sweep=NAME` find `sweeps/NAME.yaml`: the project's sweeps folder is the group `sweep`.

The search spaces live in the top-level `sweeps/` folder (shipped in the wheel as
`hyperpeft/_sweeps`), not inside `conf/`, so a small config source mounts that folder as the
config group `sweep` and a search-path plugin appends it after the app's own config folders. An
app's own `sweep/NAME.yaml` therefore wins over a project file of the same name.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.object_type import ObjectType
from hydra.plugins.config_source import ConfigLoadError, ConfigResult, ConfigSource
from hydra.plugins.search_path_plugin import SearchPathPlugin
from omegaconf import OmegaConf

SCHEME = "hyperpeft-sweeps"
GROUP = "sweep"


def sweeps_folder() -> Path | None:
    """The installed package's `_sweeps`, else the source tree's `sweeps/` (editable install)."""
    spec = importlib.util.find_spec("hyperpeft")
    if spec is not None and spec.submodule_search_locations:
        packaged = Path(next(iter(spec.submodule_search_locations))) / "_sweeps"
        if packaged.is_dir():
            return packaged
    source_tree = Path(__file__).resolve().parents[2] / "sweeps"
    return source_tree if source_tree.is_dir() else None


class SweepsFolderConfigSource(ConfigSource):
    """A folder of YAML files seen by Hydra as the config group `sweep`."""

    @staticmethod
    def scheme() -> str:
        return SCHEME

    def _file(self, config_path: str) -> Path | None:
        """The file or folder behind `sweep[/NAME]`; None for anything outside the group."""
        parts = Path(config_path).parts
        if not parts or parts[0] != GROUP:
            return None
        return Path(self.path).joinpath(*parts[1:])

    def load_config(self, config_path: str) -> ConfigResult:
        path = self._file(self._normalize_file_name(config_path))
        if path is None or not path.is_file():
            raise ConfigLoadError(f"Config not found: {config_path} in {self.full_path()}")
        text = path.read_text(encoding="utf-8")
        return ConfigResult(
            config=OmegaConf.create(text),
            path=self.full_path(),
            provider=self.provider,
            header=ConfigSource._get_header_dict(text),
        )

    def available(self) -> bool:
        return Path(self.path).is_dir()

    def is_group(self, config_path: str) -> bool:
        if config_path in ("", "/"):
            return True
        path = self._file(config_path)
        return path is not None and path.is_dir()

    def is_config(self, config_path: str) -> bool:
        path = self._file(self._normalize_file_name(config_path))
        return path is not None and path.is_file()

    def list(self, config_path: str, results_filter: ObjectType | None) -> list[str]:
        if config_path in ("", "/"):
            return [GROUP] if results_filter in (None, ObjectType.GROUP) else []
        folder = self._file(config_path)
        if folder is None or not folder.is_dir():
            return []
        files: list[str] = []
        for entry in folder.iterdir():
            self._list_add_result(
                files=files,
                file_path=f"{config_path}/{entry.name}",
                file_name=entry.name,
                results_filter=results_filter,
            )
        return sorted(set(files))


class HyperpeftSweepsSearchPathPlugin(SearchPathPlugin):
    """Appends the project's sweeps folder, as the group `sweep`, to Hydra's search path."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        folder = sweeps_folder()
        if folder is not None:
            search_path.append(provider="hyperpeft-sweeps", path=f"{SCHEME}://{folder}")
