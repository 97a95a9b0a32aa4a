"""Vector quantisation: the straight-through and rotation-trick surrogates (eq-vq-surrogates) and the VQ autoencoder."""

import dataclasses
import importlib.util
import math
from pathlib import Path

import pytest
import torch

from pwgf_viz import data, vq
from pwgf_viz.results import load_results

F64 = torch.float64


def random_triples(n, d, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(3, n, d, generator=gen, dtype=F64)


@pytest.mark.parametrize("d", [2, 3, 8])
def test_rotation_matrix_is_a_rotation_taking_z_hat_to_q_hat(d):
    z, q, _ = random_triples(20, d, seed=d)
    for zi, qi in zip(z, q, strict=True):
        R = vq.rotation_matrix(zi, qi)
        assert torch.allclose(R.T @ R, torch.eye(d, dtype=F64), atol=1e-12)
        assert torch.linalg.det(R).item() == pytest.approx(1.0, abs=1e-12)
        assert torch.allclose(R @ (zi / zi.norm()), qi / qi.norm(), atol=1e-12)
        # R fixes the orthogonal complement of span(z, q).
        basis = torch.linalg.qr(torch.stack([zi, qi], 1), mode="complete").Q[:, 2:]
        assert torch.allclose(R @ basis, basis, atol=1e-12)


def test_rotation_trick_value_and_gradient():
    z, q, g = random_triples(50, 5, seed=1)
    z.requires_grad_(True)
    out = vq.rotation_trick(z, q)
    assert torch.equal(out.detach(), q)
    (out * g).sum().backward()
    expected = torch.stack([(qi.norm() / zi.norm()) * vq.rotation_matrix(zi, qi).T @ gi
                            for zi, qi, gi in zip(z.detach(), q, g, strict=True)])
    assert torch.allclose(z.grad, expected, atol=1e-12)
    assert torch.allclose(vq.encoder_gradient(z, q, g, "rotation"), expected, atol=1e-12)


def test_rotation_gradient_preserves_the_angle_with_the_code_and_scales_by_the_norm_ratio():
    z, q, g = random_triples(50, 4, seed=2)
    grad = vq.encoder_gradient(z, q, g, "rotation")
    cos = lambda a, b: (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))  # noqa: E731
    assert torch.allclose(cos(grad, z), cos(g, q), atol=1e-12)
    assert torch.allclose(grad.norm(dim=-1), g.norm(dim=-1) * q.norm(dim=-1) / z.norm(dim=-1), atol=1e-12)


def test_straight_through_passes_the_gradient_unchanged():
    z, q, g = random_triples(10, 3, seed=3)
    assert torch.allclose(vq.straight_through(z, q), q, rtol=0, atol=1e-15)
    assert torch.allclose(vq.encoder_gradient(z, q, g, "st"), g)


def test_the_two_surrogates_agree_when_z_is_q():
    _, q, g = random_triples(10, 3, seed=4)
    assert torch.allclose(vq.encoder_gradient(q.clone(), q, g, "rotation"), g, atol=1e-12)


def test_degenerate_rows_fall_back_to_straight_through():
    q = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.5, -1.0]], dtype=F64)
    z = torch.tensor([[0.0, 0.0], [-2.0, -4.0], [0.3, 0.1]], dtype=F64)   # zero, opposite, regular
    g = torch.tensor([[0.3, -0.7]] * 3, dtype=F64)
    grad = vq.encoder_gradient(z, q, g, "rotation")
    assert torch.isfinite(grad).all()
    assert torch.allclose(grad[:2], g[:2])
    assert not torch.allclose(grad[2], g[2])
    assert torch.equal(vq.rotation_trick(z, q), q)
    with pytest.raises(ValueError, match="undefined"):
        vq.rotation_matrix(z[1], q[1])


def test_the_hard_quantiser_has_zero_gradient_inside_a_cell():
    gen = torch.Generator().manual_seed(5)
    codebook = torch.randn(16, 4, generator=gen, dtype=F64)
    z = torch.randn(4, generator=gen, dtype=F64)
    k = torch.cdist(z[None], codebook).argmin()
    for e in torch.eye(4, dtype=F64):
        assert torch.cdist((z + 1e-7 * e)[None], codebook).argmin() == k


@pytest.mark.parametrize("call, error, match", [
    (lambda: vq.rotation_trick([1.0], torch.ones(1)), TypeError, "z must be a floating torch tensor"),
    (lambda: vq.rotation_trick(torch.ones(2), torch.ones(3)), ValueError, "same shape"),
    (lambda: vq.straight_through(torch.tensor([math.nan]), torch.ones(1)), ValueError, "finite"),
    (lambda: vq.rotation_matrix(torch.ones(2, 2), torch.ones(2, 2)), ValueError, r"shape \(d,\)"),
    (lambda: vq.check_gradient("reinmax"), ValueError, "gradient must be one of"),
    (lambda: vq.check_gradient(1), TypeError, "gradient must be a string, one of"),
    (lambda: vq.VQAutoencoder(64, 4, 8, 1, "st"), ValueError, "codebook_size"),
    (lambda: vq.VQAutoencoder(64, 4, 8, 16, "st", commitment=0.0), ValueError, "commitment"),
    (lambda: vq.VQAutoencoder(64, 4, 8, 16, "st").training_loss(torch.zeros(3, 10)), ValueError, r"shape \(n, 64\)"),
    (lambda: vq.encoder_gradient(torch.ones(2), torch.ones(2), [1.0, 1.0], "st"), TypeError, "grad_q"),
])
def test_bad_input_is_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_autoencoder_scores_and_a_training_step():
    torch.manual_seed(0)
    model = vq.VQAutoencoder(64, 2, 3, 8, "rotation", hidden=16)
    x = torch.rand(20, 64)
    out = model.quantise(x)
    assert out.indices.shape == (20, 2) and torch.equal(out.surrogate.detach(), out.q.detach())
    distances = torch.cdist(out.z.detach().reshape(-1, 3), model.codebook.detach())
    assert torch.equal(out.indices.reshape(-1), distances.argmin(-1))
    model.training_loss(x).backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    assert model.codebook.grad is not None and model.codebook.grad.abs().sum() > 0
    s = model.scores(x)
    assert 1 <= s["codes_used"] <= 8 and 1 <= s["perplexity"] <= s["codes_used"] + 1e-9
    assert s["mse"] > 0 and s["quantisation_error"] > 0


def test_run_is_seeded_and_records_history():
    setting = dataclasses.replace(vq.SETTINGS["quick"], epochs=3, checkpoint=2, hidden=8)
    a = vq.run("st", 16, setting, seed=1)
    b = vq.run("st", 16, setting, seed=1)
    assert {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}
    assert [h[0] for h in a["history"]] == [2, 3]
    assert a["history"][-1][1:] == [a["codes_used"], a["mse"]]
    assert a["codes_used"] <= 16


def test_digits_share_the_binarized_split():
    grey, binary = data.digits(), data.binarized_digits(threshold=8)
    assert grey.train.shape == (1438, 64) and grey.test.shape == (359, 64)
    assert float(grey.train.min()) == 0.0 and float(grey.train.max()) == 1.0
    assert torch.equal((grey.test * 16 >= 8).float(), binary.test)


def test_experiment_script_runs_the_vq_setting(tmp_path, monkeypatch):
    path = Path(__file__).resolve().parents[1] / "experiments" / "beyond_st.py"
    spec = importlib.util.spec_from_file_location("beyond_st_script_vq", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    tiny = dataclasses.replace(vq.SETTINGS["quick"], epochs=1, seeds=1, codebook_sizes=(8,), hidden=8)
    monkeypatch.setitem(vq.SETTINGS, "quick", tiny)
    script.main(["--vq", "--setting", "quick", "--folder", str(tmp_path)])
    saved = load_results("beyond-st-vq", tmp_path)
    assert [(r["gradient"], r["codebook_size"]) for r in saved["records"]] == [("st", 8), ("rotation", 8)]
    assert saved["settings"]["finished_runs"] == 2
    with pytest.raises(SystemExit):
        script.main(["--vq", "--vae"])
