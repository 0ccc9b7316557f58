"""The trainers' room: train, evaluate and compare passage models, and choose what to label.

``train`` runs a TOML recipe (``training/*.toml`` at the repository root) into a model
directory; ``evaluate`` scores predictions (passage metrics, PR curves, real-data and
document accuracy, comparisons); ``runs`` is the registry of trained runs and promotes one to
``models/default``; ``learning_curve`` trains on growing subsets; ``model_card`` writes a
model directory's ``README.md``; ``annotate`` suggests the passages to label next (active
learning).

May import: ``document``, ``errors``, ``labels``, ``corpus``, ``classify``, ``findings``,
``pipeline``, ``batch.store`` and ``analysis``. Never ``cli``, ``render``, ``web`` or
``screen``. Nothing is imported here, so ``import protoscan.training.model_card`` stays cheap.
"""
