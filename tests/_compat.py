"""What the tests must know about the installed scikit-learn version.

Only bugs of scikit-learn itself belong here, fixed after the oldest version
skmlp supports: a comparison against scikit-learn that cannot run on an
affected version is skipped there, with the scikit-learn issue as the reason,
and runs unchanged everywhere else. Tests of skmlp alone get no allowance.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from packaging.version import Version

SKLEARN_VERSION = Version(sklearn.__version__)

#: scikit-learn < 1.9: ``MLPClassifier(early_stopping=True)`` raises a
#: TypeError ("ufunc 'isnan' not supported") on string labels when it scores
#: the validation set (scikit-learn#33760, fixed in 1.9 by #33774).
EARLY_STOPPING_STRING_LABELS_BUG = SKLEARN_VERSION.release < (1, 9)

#: Skips a comparison against ``MLPClassifier(early_stopping=True)`` fitted
#: on string labels where scikit-learn#33760 makes it fail.
skip_sklearn_early_stopping_string_labels = pytest.mark.skipif(
    EARLY_STOPPING_STRING_LABELS_BUG,
    reason="scikit-learn < 1.9: MLPClassifier(early_stopping=True) fails on "
           "string labels (scikit-learn#33760)",
)


def early_stopping_on_string_labels(y, early_stopping: bool) -> bool:
    """Whether ``MLPClassifier(early_stopping=early_stopping).fit(X, y)`` is
    the fit scikit-learn#33760 breaks: early stopping on labels that are not
    numbers (strings, objects)."""
    return early_stopping and np.asarray(y).dtype.kind in "OSU"


def sklearn_early_stopping_marks(y, early_stopping: bool) -> list:
    """The marks of a comparison that fits ``MLPClassifier`` on ``y``:
    :data:`skip_sklearn_early_stopping_string_labels` where it applies."""
    if early_stopping_on_string_labels(y, early_stopping):
        return [skip_sklearn_early_stopping_string_labels]
    return []
