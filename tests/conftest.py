"""Test configuration: one torch thread (two multi-threaded torch processes on 2 cores slow ~100x)."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
# Without a GPU, Triton kernels are tested under Triton's CPU interpreter, which must be switched on before any
# kernel module is imported (TSRNN_TEST_GPU=1 keeps compiled kernels on a GPU machine).
if os.environ.get("TSRNN_TEST_GPU") != "1":
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch

    torch.set_num_threads(1)
    yield


def pytest_collection_modifyitems(config, items):
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
    # The long tests (conformance suites, examples, notebooks, docs) first: pytest-xdist hands the last tests out
    # one by one, so a long test collected last would leave the other worker idle until it ends.
    items.sort(key=lambda item: not ("conformance" in item.keywords or "slow" in item.keywords))


@pytest.fixture
def poison_weights():
    """A Lightning callback factory: ``poison_weights(k)`` makes every weight NaN at the start of epoch ``k``
    (0-based), i.e. a fit that diverges there."""
    import lightning as L
    import torch

    class PoisonWeights(L.Callback):
        def __init__(self, epoch: int):
            self.epoch = epoch

        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == self.epoch:
                with torch.no_grad():
                    for p in pl_module.parameters():
                        p.fill_(float("nan"))

    return PoisonWeights
