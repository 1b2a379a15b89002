"""Sphinx configuration for tsrnn's documentation (``make docs`` builds it with warnings as errors)."""

import tsrnn

project = "tsrnn"
author = "tsrnn developers"
release = version = tsrnn.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "sphinx.ext.viewcode"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# sklearn's generated metadata-routing setters are not tsrnn API.
autodoc_default_options = {
    "exclude-members": "set_fit_request, set_predict_request, set_predict_proba_request, set_score_request",
}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
html_theme = "alabaster"
exclude_patterns = ["_build"]
suppress_warnings = ["ref.python"]
nitpicky = False
