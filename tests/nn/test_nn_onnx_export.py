"""model.export_onnx(path): standard ONNX ops (opset >= 17), accepted by the onnx checker, run by
onnxruntime with the predictions of model.predict (1e-5) for every layer and activation kind."""

import os

import numpy as np
import pytest
from nn_models import every_layer_model

import memograd as mg
from memograd.nn import activations

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ACTIVATIONS = activations.names()


def _model(activation: str, dtype: str = "float32") -> mg.nn.Sequential:
    return every_layer_model(
        activation, dtype, momentum=0.5, layer_norm_center=False, batch_norm_scale=False
    )


def _inputs(dtype: str = "float32") -> np.ndarray:
    return (np.random.default_rng(2).standard_normal((9, 5)) * 3).astype(dtype)


def _run(path) -> tuple[object, np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    dtype = {"tensor(float)": "float32", "tensor(double)": "float64"}[session.get_inputs()[0].type]
    return session, session.run(None, {"input": _inputs(dtype)})[0]


def _loaded(path) -> object:
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    return proto


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_predicts_what_the_model_predicts(activation, opset, tmp_path) -> None:
    model = _model(activation)
    path = tmp_path / "m.onnx"
    model.export_onnx(path, opset=opset)
    proto = _loaded(path)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", opset)]
    assert all(node.domain == "" for node in proto.graph.node)  # standard ops only
    session, outputs = _run(path)
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert session.get_inputs()[0].shape == ["batch", 5]
    np.testing.assert_allclose(outputs, model.predict(_inputs()), rtol=1e-5, atol=1e-5)
    assert model.training  # exporting does not change the model's mode


def test_opset_17_composes_gelu_and_mish_and_opset_20_uses_the_ops(tmp_path) -> None:
    def op_types(activation, opset):
        model = _model(activation)
        model.export_onnx(tmp_path / "m.onnx", opset=opset)
        return {node.op_type for node in _loaded(tmp_path / "m.onnx").graph.node}

    assert "Erf" in op_types("gelu", 17) and "Gelu" not in op_types("gelu", 17)
    assert "Gelu" in op_types("gelu_tanh", 20)
    assert "Mish" not in op_types("mish", 17) and "Mish" in op_types("mish", 18)
    layers = op_types("relu", 17)
    assert {"Gemm", "BatchNormalization", "LayerNormalization", "Sub", "Div"} <= layers
    assert "Dropout" not in layers  # inference graph


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_float64_model_exported_as_float32_runs_everywhere(activation, tmp_path) -> None:
    model = _model(activation, dtype="float64")
    model.export_onnx(tmp_path / "m.onnx", dtype="float32")
    _, outputs = _run(tmp_path / "m.onnx")
    assert outputs.dtype == np.float32
    expected = model.predict(_inputs("float64"))
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softmax", "gelu_tanh"])
def test_a_float64_graph_keeps_float64(activation, tmp_path) -> None:
    model = _model(activation, dtype="float64")
    model.export_onnx(tmp_path / "m.onnx")
    _, outputs = _run(tmp_path / "m.onnx")
    assert outputs.dtype == np.float64
    np.testing.assert_allclose(outputs, model.predict(_inputs("float64")), rtol=1e-10)


def test_a_model_of_dropout_only_is_the_identity(tmp_path) -> None:
    model = mg.nn.Sequential([mg.nn.Dropout(0.5)])
    model.build((None, 5))
    model.export_onnx(tmp_path / "m.onnx")
    _, outputs = _run(tmp_path / "m.onnx")
    np.testing.assert_array_equal(outputs, _inputs())


def test_refusals_name_the_argument_or_the_layer(tmp_path) -> None:
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError, match="built model"):
        mg.nn.Sequential([mg.nn.Dense(2)]).export_onnx(path)
    model = _model("relu")
    for opset in (16, 10_000, 17.0, True):
        with pytest.raises(ValueError, match=f"`opset`.*Received: opset={opset!r}"):
            model.export_onnx(path, opset=opset)
    with pytest.raises(ValueError, match="`dtype`"):
        model.export_onnx(path, dtype="int8")

    def cube(x):
        return x * x * x

    custom = mg.nn.Sequential([mg.nn.Dense(2, activation=cube, name="cubic")])
    custom.build((None, 3))
    with pytest.raises(ValueError, match=r"'cubic'.*'cube' is a custom function"):
        custom.export_onnx(path)
    assert not path.exists()


def test_the_file_is_replaced_atomically(tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"the previous export")

    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        _model("relu").export_onnx(path)
    assert path.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temp file left behind


def test_without_onnx_the_error_says_what_to_install(monkeypatch, tmp_path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ModuleNotFoundError, match=r"memograd\[export\]"):
        _model("relu").export_onnx(tmp_path / "m.onnx")
