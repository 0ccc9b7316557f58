"""The training recipes in training/ load, and each ablation differs from the recipe it
ablates only in the stance signal (README's ablation tables rely on it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from protoscan.training.train import load_config

TRAINING = Path(__file__).resolve().parents[1] / "training"
STANCE_PARAMS = {"stance_head", "stance_C", "scope_in_label_head"}


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


def test_the_default_linear_member_differs_from_models_linear_only_in_scope() -> None:
    shipped = load_config(TRAINING / "linear.toml")
    member = load_config(TRAINING / "linear-finding-gate.toml")
    assert shipped.params.pop("scope_in_label_head") is True
    assert "scope_in_label_head" not in member.params
    assert (member.backend, member.data, member.params) == (
        shipped.backend,
        shipped.data,
        shipped.params,
    )
    ensemble = load_config(TRAINING / "ensemble.toml")
    assert ensemble.params["members"][0] == str(member.output)
