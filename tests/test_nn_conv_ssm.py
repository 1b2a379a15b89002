"""Behaviour shared by the convolutional SSM families (S4D, S4, LSSL): padding and gaps."""

import pytest
import torch

from tsrnn.nn.lssl import LSSLBackbone
from tsrnn.nn.s4 import S4Backbone
from tsrnn.nn.s4d import S4DBackbone

BACKBONES = {
    "S4D": lambda bi: S4DBackbone(n_inputs=2, d_model=4, n_layers=2, d_state=4, bidirectional=bi),
    "S4": lambda bi: S4Backbone(n_inputs=2, d_model=4, n_layers=1, d_state=4, l_max=9, bidirectional=bi),
    "LSSL": lambda bi: LSSLBackbone(n_inputs=2, d_model=4, n_layers=1, d_state=4, bidirectional=bi),
}


@pytest.mark.parametrize("family", BACKBONES)
@pytest.mark.parametrize("bidirectional", [False, True], ids=["causal", "bidirectional"])
def test_padding_is_ignored_and_unit_gaps_equal_the_convolution(family, bidirectional):
    torch.manual_seed(0)
    net = BACKBONES[family](bidirectional).double()
    a, b = torch.randn(1, 9, 2, dtype=torch.float64), torch.randn(1, 5, 2, dtype=torch.float64)
    padded = torch.cat([b, torch.full((1, 4, 2), 3.0, dtype=torch.float64)], 1)
    mask = torch.tensor([[True] * 9, [True] * 5 + [False] * 4])
    out = net(torch.cat([a, padded]), mask=mask)
    assert torch.allclose(out[1, :5], net(b)[0], atol=1e-10) and torch.allclose(out[0], net(a)[0], atol=1e-10)
    scanned = net(torch.cat([a, padded]), dt=torch.ones(2, 9, dtype=torch.float64), mask=mask)
    assert torch.allclose(scanned[0], out[0], atol=1e-9) and torch.allclose(scanned[1, :5], out[1, :5], atol=1e-9)


@pytest.mark.parametrize("family", BACKBONES)
def test_rate_change_equals_scaled_gaps(family):
    torch.manual_seed(0)
    ssm = BACKBONES[family](False).double().layers[0].mixer
    u = torch.randn(1, 9, 4, dtype=torch.float64)
    slow = ssm(u, dt=torch.full((1, 9), 2.0, dtype=torch.float64))[0]
    ssm.step_rescale = 2.0
    assert torch.allclose(ssm(u)[0], slow, atol=1e-10)
