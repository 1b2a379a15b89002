"""Numpydoc docstrings of concrete estimators, assembled from the family, task and training parameter docs."""

from __future__ import annotations

import re

from tsrnn.estimators.base import TRAINING_PARAMS_DOC

POOLING_DOC = 'pooling : {"mean", "last"}, default="mean"\n    Pooling of the features over time.\n'
CLASS_WEIGHT_DOC = (
    'class_weight : dict, "balanced" or None, default=None\n    Weight of each class in the cross-entropy (for '
    "imbalanced classes), as in scikit-learn:\n    ``{label: weight}`` (labels left out weigh 1), or \"balanced\" "
    "for ``n_samples / (n_classes * count(label))``;\n    None weighs every class 1. ``partial_fit`` takes a dict "
    "only.\n"
)
FORECAST_DOC = (
    "lookback : int, default=96\nhorizon : int, default=24\nstride : int, default=1\n    Step between training "
    "windows.\ninstance_norm : bool, default=True\n    Standardize every input window per channel and undo it on the "
    "forecast.\nchannel_independent : bool, default=True\n    Encode every channel as its own univariate series with "
    "shared weights (as in PatchTST / CycleNet); False mixes channels in the input layer.\n"
)
QUANTILES_DOC = (
    "quantiles : sequence of float or None, default=None\n    Levels in (0, 1) to forecast, e.g. ``(0.1, 0.9)``, "
    "trained with the pinball loss; the median 0.5\n    is always added (``quantiles_``). ``predict`` then returns "
    "the median and ``predict_quantiles`` all\n    levels. None: a point forecast trained with the MSE.\n"
)

_TEMPLATE = """{title}

{summary}

Parameters
----------
{family}{task}{training}
Attributes
----------
module_ : torch.nn.Module
    The trained network (on the CPU).
n_features_in_ : int
    Channels of the training data.
history_ : list of dict
    Per-epoch ``train_loss`` (and ``val_loss`` with early stopping).
{attrs}
Examples
--------
{example}
"""


def with_defaults(doc: str, defaults: dict) -> str:
    """``doc`` (numpydoc parameter lines) with the ``default=`` of every parameter in ``defaults`` replaced."""
    for name, value in defaults.items():
        doc = re.sub(rf"^{name} : (.*), default=.*$", rf"{name} : \g<1>, default={value!r}", doc, flags=re.M)
    return doc


def estimator_doc(title, summary, family_doc, task, example, training_defaults=None, task_doc=None):
    """Numpydoc docstring of a concrete estimator; ``task`` is "classifier", "regressor" or "forecaster";
    ``training_defaults`` (name -> value) are the family's own defaults of training parameters; ``task_doc``
    replaces the task parameters' documentation."""
    if task_doc is None:
        task_doc = FORECAST_DOC + QUANTILES_DOC if task == "forecaster" else POOLING_DOC
    if task == "classifier":
        task_doc += CLASS_WEIGHT_DOC
    training = with_defaults(TRAINING_PARAMS_DOC, training_defaults or {})
    attrs = {"classifier": "classes_ : ndarray\n    Class labels.\n",
             "forecaster": "scaler_ : ChannelScaler\n    Per-channel statistics of the training series.\n"}.get(task, "")
    if QUANTILES_DOC in task_doc:
        attrs += "quantiles_ : ndarray or None\n    The levels forecast (those of ``quantiles`` and 0.5), sorted.\n"
    return _TEMPLATE.format(title=title, summary=summary, family=family_doc, task=task_doc,
                            training=training, attrs=attrs, example=example)
