"""Size arithmetic shared by every windowed layer, written once so that it can later run on symbols.

Every function here uses only ``+ - * //`` and comparisons on its arguments, so that a later symbolic engine can
pass sympy expressions instead of ints (floor division maps to ``floor``).
"""

from __future__ import annotations


def window_out(size, kernel, stride, pad_lo, pad_hi, dilation=1, ceil_mode=False):
    """Output length of a sliding window, exactly as PyTorch computes it.

    In words: the padded input is ``size + pad_lo + pad_hi`` long, a dilated window spans
    ``dilation*(kernel-1) + 1`` of it, and a window starts every ``stride`` positions:
    ``out = floor((padded - span) / stride) + 1``. With ``ceil_mode`` the division rounds up, but (PyTorch's rule)
    a last window that would start inside the right padding only is dropped.
    """
    span = dilation * (kernel - 1) + 1
    padded = size + pad_lo + pad_hi
    if ceil_mode:
        out = -((span - padded) // stride) + 1  # ceil((padded - span)/stride) + 1
        if (out - 1) * stride >= size + pad_lo:
            out -= 1
        return out
    return (padded - span) // stride + 1


def unseen_after(size, kernel, stride, pad_lo, pad_hi, dilation=1):
    """How many *real* input positions no window covers at the far end (floor mode); 0 when the stride fits.

    ``(padded - span) % stride`` positions of the padded input are left over after the last window; those that fall
    in the right padding are harmless, the rest are real data that the layer never sees.
    """
    span = dilation * (kernel - 1) + 1
    left_over = (size + pad_lo + pad_hi - span) % stride
    return max(0, left_over - pad_hi)


def transposed_out(size, kernel, stride, padding, output_padding=0, dilation=1):
    """Output length of a transposed convolution (PyTorch): ``(size-1)*stride - 2*padding + span + output_padding``."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
