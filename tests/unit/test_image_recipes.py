"""The stand-in images' input keys: stable, and changed by any input of the image or its parent."""

from __future__ import annotations

import shutil
from pathlib import Path

from netra_devtools.images.recipes import STANDINS, StandIn, compose_env, input_keys, with_parents
from netra_devtools.paths import CI_IMAGES_DIR


def _copy_of_recipes(tmp_path: Path) -> tuple[StandIn, ...]:
    shutil.copytree(CI_IMAGES_DIR, tmp_path / "images")
    return tuple(
        StandIn(s.name, s.tag, s.env, s.parent, s.extra_inputs, tmp_path / "images")
        for s in STANDINS
    )


def test_keys_depend_on_the_inputs_not_on_where_the_recipes_live(tmp_path: Path) -> None:
    assert input_keys(_copy_of_recipes(tmp_path)) == input_keys() == input_keys()
    assert len(set(input_keys().values())) == len(STANDINS)


def _changed_keys(tmp_path: Path, recipe_file: str, appended: str) -> list[str]:
    """The stand-ins whose key changes when `recipe_file` (under ci/images) gets `appended`."""
    standins = _copy_of_recipes(tmp_path)
    before = input_keys(standins)
    edited = tmp_path / "images" / recipe_file
    edited.write_text(edited.read_text(encoding="utf-8") + appended, encoding="utf-8")
    after = input_keys(standins)
    return [name for name in before if after[name] != before[name]]


def test_a_changed_base_recipe_changes_the_key_of_every_image_built_on_it(tmp_path: Path) -> None:
    assert _changed_keys(tmp_path, "python/packages.txt", "curl\n") == [s.name for s in STANDINS]


def test_a_changed_leaf_recipe_changes_its_key_alone(tmp_path: Path) -> None:
    assert _changed_keys(tmp_path, "postgres/docker-entrypoint.sh", "\n") == ["postgres"]


def test_an_image_is_built_after_its_parent_and_selected_by_its_compose_variable() -> None:
    assert [s.name for s in with_parents(["clickhouse"])] == ["python", "clickhouse"]
    assert compose_env(["postgres"]) == {"NETRA_POSTGRES_IMAGE": "netra-ci-standin/postgres:15"}
    assert all("standin" in tag for tag in compose_env().values())  # never mistaken for upstream
