"""The training recipes in training/ load, and each ablation differs from the recipe it
ablates only in the stance signal (README's ablation tables rely on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protoscan.training.train import load_config

TRAINING = Path(__file__).resolve().parents[1] / "training"
STANCE_PARAMS = {"stance_head", "stance_C"}


@pytest.mark.parametrize("recipe", sorted(TRAINING.glob("*.toml")), ids=lambda p: p.name)
def test_every_recipe_loads(recipe: Path) -> None:
    config = load_config(recipe)
    assert config.name == recipe.stem


@pytest.mark.parametrize(
    ("shipped", "ablation"),
    [("linear", "linear-no-stance"), ("transformer-e5-small", "transformer-no-stance")],
)
def test_ablation_changes_only_the_stance_signal(shipped: str, ablation: str) -> None:
    with_stance = load_config(TRAINING / f"{shipped}.toml")
    without = load_config(TRAINING / f"{ablation}.toml")
    assert with_stance.params.get("stance_head") is True
    assert without.params.get("stance_head", False) is False
    assert (without.backend, without.data) == (with_stance.backend, with_stance.data)

    def rest(params: dict[str, object]) -> dict[str, object]:
        return {key: value for key, value in params.items() if key not in STANCE_PARAMS}

    assert rest(without.params) == rest(with_stance.params)
