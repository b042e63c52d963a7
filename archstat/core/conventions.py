"""The counting conventions, stated once. Renderers print them under every table and put them in every JSON.

The rules themselves are code in one place each: the activation rule (which layers allocate; elements x batch x
bytes) is ``core.walk.activation``, applied by the engine and the symbolic analysis alike; the dtypes' sizes are
``core.dtypes.BYTES``."""

from __future__ import annotations

CONVENTIONS = {
    "params": "parameters = trainable tensors as torch's parameters() lists them (weights and biases); batch-norm "
              "running statistics are buffers, counted apart",
    "macs": "MACs = multiply-accumulates of conv, transposed conv and linear layers only (and LeNet's RBF "
            "units, a linear layer's arithmetic), bias excluded (torchvision's _ops, fvcore's 'flops')",
    "flops": "FLOPs = 2 x MACs plus every other op's arithmetic (bias adds, batch norm, activations, pooling, "
             "add, mul, softmax), one rule per layer kind (archstat kinds)",
    "activations": "activations = elements of the input plus every layer output, except in-place ops "
                   "(activations, inference dropout) and views (flatten, crop, identity)",
    "activation_bytes": "a layer's activation_bytes = its output's elements x batch x the dtype's bytes, in place "
                        "or not; its new_bytes = what it allocates: activation_bytes, or 0 for an in-place op or a "
                        "view; the total activation_bytes = the input's bytes plus every layer's new_bytes",
    "peak_activation_bytes": "peak = most activation bytes alive at once in an inference pass in spec order, each "
                             "tensor freed after its last consumer",
    "rf": "receptive field = input pixels one output position sees (size, effective stride, effective padding; "
          "Araujo et al., Distill 2019); at merges the union over paths, except gates (a per-channel scale broadcast "
          "over the map from a global pool, as squeeze-and-excitation's), which see the whole input and are left out: "
          "the field is the feature path's; global pooling, a pooling window over the whole input, flatten and linear "
          "layers see the whole input",
    "batch": "MACs, FLOPs and activations are for the whole batch; parameters are per network",
}


def short(dtype: str, batch: int) -> list[str]:
    """The lines printed under a summary table."""
    return [
        "MACs: multiply-accumulates of conv/deconv/linear, bias excluded. FLOPs: 2 x MACs + every other op's "
        "arithmetic (rules: 'archstat kinds').",
        f"Activations: input + every layer output except in-place ops and views; batch {batch}, {dtype}. "
        "Peak: most bytes alive at once in an inference pass.",
        "RF: receptive field size (effective stride) in input pixels; 'all' after global pooling or flatten; "
        "gates (SE) left out at merges.",
    ]
