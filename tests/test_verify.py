"""`archstat verify`: reading values as sources write them, the verdicts, and each automatic cause.

The expected figures are derived by hand next to each case (AlexNet conv1: (11*11*3 + 1) * 96 = 34,944 parameters;
VGG-16: 138,357,544 parameters and 15,470,264,320 MACs, as test_specs.py establishes from torchvision's meta).
"""

import json
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from archstat.claims.store import Claim, load_file, parse_value
from archstat.claims.verify import Book, judge
from archstat.cli import app
from archstat.errors import SpecError

runner = CliRunner()


# ------------------------------------------------------------------------------------------------ values as written
@pytest.mark.parametrize("text,unit,number,place,coarse", [
    ("35K", None, 35_000, 1_000, 1_000),
    ("~590K", None, 590_000, 1_000, 10_000),           # trailing zero: 590K to the thousand, or to 10K
    ("15.47", "G", Fraction(1547, 100) * 10**9, 10**7, 10**7),
    ("15.47G", None, Fraction(1547, 100) * 10**9, 10**7, 10**7),
    ("60 million", None, 60 * 10**6, 10**6, 10**7),
    ("120,422,400", None, 120_422_400, 1, 100),
    ("138M", None, 138 * 10**6, 10**6, 10**6),
    ("96MB", None, 96 * 10**6, 10**6, 10**6),
    ("3.6 x10^9", None, Fraction(36, 10) * 10**9, 10**8, 10**8),
    ("≈ 470M", None, 470 * 10**6, 10**6, 10**7),
    ("0.5", "MiB", Fraction(1, 2) * 2**20, Fraction(2**20, 10), Fraction(2**20, 10)),
    ("60k", None, 60_000, 1_000, 10_000),
    ("eight layers", None, 8, 1, 1),
    ("28x28x32x5x5x192", None, 120_422_400, 1, 1),
    ("22-layer", None, 22, 1, 1),
    ("11 weight layers", None, 11, 1, 1),
    ("60 million parameters", None, 60 * 10**6, 10**6, 10**7),
])
def test_values_as_written(text, unit, number, place, coarse):
    v = parse_value(text, unit)
    assert (v.number, v.unit, v.coarse) == (number, place, coarse)


def test_rounding_to_the_written_digit():
    v = parse_value("35K")
    assert v.matches(34_944) and v.matches(35_499) and v.matches(34_500)
    assert not v.matches(34_499) and not v.matches(35_501)
    sixty = parse_value("60 million")
    assert not sixty.matches(62_378_344) and sixty.matches(62_378_344, coarse=True)
    assert not sixty.matches(65_000_001, coarse=True)


@pytest.mark.parametrize("text,unit,shape", [("55x55x96", None, (55, 55, 96)), ("[27 x 27 x 256]", None, (27, 27, 256)),
                                             ("4096", None, (4096,)), ("32×32", None, (32, 32))])
def test_shapes_as_written(text, unit, shape):
    assert parse_value(text, unit, shape=True).shape == shape


@pytest.mark.parametrize("text,unit,match", [
    ("35Q", None, r"cannot read the number"),
    ("35", "Q", r"unknown scale 'q'"),
    ("1,23", None, r"misplaced thousands separator"),
    ("lots", None, r"cannot read the number"),
    ("35K", "M", r"has a scale and 'unit' gives another"),
    (["35K"], None, r"'value' must be text"),
    ("1 x10^99999999", None, r"an exponent beyond 10\^30"),  # would hang building 10**99999999
    ("9" * 41, None, r"more than 40 digits"),
    ("9" * 5000, None, r"is 5,000 characters long; a claim value is at most 200"),  # refused unread
    ("x".join(["9" * 50] * 2), None, r"factors over 40 digits"),
], ids=lambda v: v[:20] + "..." if isinstance(v, str) and len(v) > 20 else None)
def test_bad_values(text, unit, match):
    with pytest.raises(SpecError, match=match):
        parse_value(text, unit)


# ------------------------------------------------------------------------------------------------ verdicts and causes
def claim(spec, quantity, value, layer=None, **kw) -> Claim:
    shape = quantity == "output_shape"
    return Claim(spec=spec, quantity=quantity, value=parse_value(value, kw.pop("unit", None), shape=shape),
                 source="test", file="test.yaml", line=1, layer=layer, **kw)


def verdict(c: Claim, others=()):
    r = judge(c, Book(), [c, *others])
    return r.verdict, r.explanation, r.computed


def test_match_at_the_claims_rounding():
    assert verdict(claim("alexnet", "params", "35K", "conv1"))[:1] == ("match",)
    assert verdict(claim("alexnet", "output_shape", "55x55x96", "conv1")) == ("match", "", (55, 55, 96))
    assert verdict(claim("vgg16", "macs", "15.47", unit="G"))[0] == "match"
    assert verdict(claim("vgg16", "params", "138,357,544"))[0] == "match"


def test_weights_without_biases():
    # AlexNet conv1 weights 11*11*3*96 = 34,848; with biases 34,944. Claimed 34,848 as "params".
    v, why, _ = verdict(claim("alexnet", "params", "34,848", "conv1"))
    assert v == "explained" and "without biases" in why


def test_macs_against_flops():
    v, why, _ = verdict(claim("vgg16", "macs", "30.9G"))  # 2 x 15.47G
    assert v == "explained" and "two FLOPs" in why
    v, why, _ = verdict(claim("vgg16", "flops", "15.5G"))  # FLOPs that are MACs
    assert v == "explained" and "multiply-accumulates" in why


def test_224_against_227():
    # AlexNet conv1 at 224: floor((224 - 11)/4) + 1 = 54
    v, why, comp = verdict(claim("alexnet", "output_shape", "54x54x96", "conv1"))
    assert v == "explained" and "224x224" in why and "54x54x96" in why and comp == (55, 55, 96)


def test_keras_counts_batchnorm_statistics():
    # ResNet-50: 25,557,032 parameters; 53,120 = 2 x (sum of its batch-norm channels) (Keras: 25,636,712 with
    # its fc bias... here the statistics alone are added)
    v, why, _ = verdict(claim("resnet50", "params", "25,610,152"))
    assert v == "explained" and "Keras" in why


def test_total_that_disagrees_with_its_rows():
    rows = [claim("vgg16", "activations", "3.2M", "features.0", group="g"),
            claim("vgg16", "activations", "3.2M", "features.2", group="g")]
    # the rows are right (224*224*64 = 3,211,264 each); a "total" of 24M disagrees with their sum
    total = claim("vgg16", "activations", "24M", total_of="g")
    total.spec = "vgg16"
    r = judge(total, Book(), [total, *rows])
    assert r.verdict == "mismatch"  # the rows (6.4M) are not the network's total (15.2M): no excuse
    v, _why, _ = verdict(claim("vgg16", "activations", "15.2M"))
    assert v == "match"
    rows.append(claim("vgg16", "activations", "8.8M", "features.5", group="g"))  # rows now sum to 15.2M
    r = judge(total, Book(), [total, *rows])
    assert r.verdict == "explained" and "rows sum to 15,200,000, not 24M" in r.explanation


def test_factor_of_ten():
    v, why, _ = verdict(claim("alexnet", "macs", "10.5M", "conv1"))  # 105,415,200 / 10
    assert v == "explained" and "factor-of-ten" in why


def test_rounded_figure():
    v, why, _ = verdict(claim("alexnet", "params", "60 million"))  # 62,378,344
    assert v == "explained" and "1 significant figure" in why


def test_free_text_alone_never_explains():
    v, why, _ = verdict(claim("resnet50", "params", "20M"))
    assert v == "mismatch" and "25,557,032" in why
    v, why, _ = verdict(claim("resnet50", "params", "20M", explanation="the slide is about ResNet-34"))
    assert v == "mismatch" and "25,557,032" in why and "ResNet-34" not in why
    # the claim's text rides along only on a verdict a computation gave
    v, why, _ = verdict(claim("alexnet", "params", "34,848", "conv1", explanation="no biases"))
    assert v == "explained" and "without biases" in why and why.endswith("(the claim adds: no biases)")


# ------------------------------------------------------------------------------------------------ named alternatives
def named(args, because, text="a note", **kw):
    """A claim naming the alternative ``because`` (as a claims file would), with free text beside it."""
    from archstat.claims.because import parse_because

    return claim(*args, because=parse_because(because), explanation=text, **kw)


# (claim, alternative, the figure it computes) -> explained; the same alternative on a figure it does not give
# -> mismatch, whatever the text says. Figures derived by hand:
# - LeNet-5 (lenet5_original) C1: 28*28*6*25 MACs + 28*28*6 bias connections = 122,304; S2: 14*14*6 units of
#   4 inputs + bias = 5,880; the network: 340,908 (LeCun et al. 1998, sec. II.B);
# - edge detection (1x2 kernel, no bias, 280x319 output): 2 multiplications + 1 addition each = 267,960;
# - FCN-32s trainable: 136,152,917 - the frozen 64x64x21x21 upscore (1,806,336) = 134,346,581;
# - VGG-16-BN: 138,365,992 parameters + 8,461 buffers (2 x 4,224 running statistics + 13 batch counters);
# - depth: LeNet-5 layers with parameters C1 S2 C3 S4 C5 F6 output = 7; lenet5 weight + pool layers = 7;
#   AlexNet without fc8 = 7; FCN-32s without its frozen upscore = 16; Xception without depthwise halves and fc = 36;
# - VGG-16 convolutions alone: 15,346,630,656 MACs; AlexNet conv1-fc7 at 224x224: 46,747,008 parameters;
# - ResNet-101 with the Caffe stride layout: 7,801,405,440 + 3,857,973,248 - 4,089,184,256 = 7,570,194,432;
# - GoogLeNet 3a: 163,328 weights = 159.5 x 1024; ShuffleNet V1: 137,460,672 MACs rounded up = 138M.
POSITIVE = [
    (("lenet5_original", "macs", "122,304", "c1"), {"measure": "connections"}, "LeCun connections: 122,304"),
    (("lenet5_original", "macs", "5,880", "s2"), {"measure": "connections"}, "LeCun connections: 5,880"),
    (("lenet5_original", "macs", "340,908"), {"measure": "connections"}, "LeCun connections: 340,908"),
    (("examples/edge_detection_horizontal_difference", "flops", "267,960"), {"measure": "mults_adds"},
     "Multiplications and additions: 267,960"),
    (("fcn32s", "params", "134M"), {"measure": "trainable_params"}, "Trainable parameters: 134,346,581"),
    (("lenet5_original", "depth", "7"), {"only": ["parametric"]}, "Depth of parametric only: 7"),
    (("lenet5", "depth", "7"), {"only": ["weight", "pool"]}, "Depth of weight, pool only: 7"),
    (("alexnet", "depth", "7"), {"without": ["fc8"]}, "Depth without fc8: 7"),
    (("fcn32s", "depth", "16"), {"without": ["frozen"]}, "Depth without frozen: 16"),
    (("xception", "depth", "36"), {"without": ["depthwise", "linear"]}, ": 36"),
    (("vgg16", "macs", "15.3 billion"), {"only": ["conv"]}, "MACs of conv only: 15,346,630,656"),
    (("alexnet", "params", "46.7M"), {"input": [3, 224, 224], "without": ["fc8"]},
     "Parameters at 3x224x224 without fc8: 46,747,008"),
    (("alexnet", "output_shape", "13x13x384", "conv5"), {"layer": "conv4"}, "Output shape of conv4: 13x13x384"),
    (("resnet101", "macs", "7.6 x 10^9"), {"plus": [{"spec": "resnet50_original"}], "minus": [{"spec": "resnet50"}]},
     "MACs + MACs of spec resnet50_original - MACs of spec resnet50: 7,570,194,432"),
    (("googlenet", "weights", "159K", "3a"), {"prefixes": "binary"}, "163,328 = 159,500 in the source's binary K"),
    (("shufflenet_v1", "macs", "138M"), {"rounding": "up"}, "MACs: 137,460,672, rounded up to 138M"),
    (("se_resnet50", "macs", "3.87G"), {"plus": [{"spec": "resnet50_original"},
                                                 {"measure": "flops", "only": ["*.se.pool"]}],
                                        "minus": [{"spec": "resnet50"}]}, "3,866,007,552"),
    (("vgg16_bn", "params", "138,374,453"), {"measure": "params_and_buffers"},
     "Parameters and buffers (running statistics counted as parameters): 138,374,453"),
]
NEGATIVE = [  # the same alternatives, on figures they do not give
    (("lenet5_original", "macs", "123,000", "c1"), {"measure": "connections"}),
    (("lenet5_original", "macs", "6,500", "s2"), {"measure": "connections"}),
    (("examples/edge_detection_horizontal_difference", "flops", "250,000"), {"measure": "mults_adds"}),
    (("fcn32s", "params", "120M"), {"measure": "trainable_params"}),
    (("lenet5_original", "depth", "9"), {"only": ["parametric"]}),
    (("alexnet", "depth", "6"), {"without": ["fc8"]}),
    (("xception", "depth", "40"), {"without": ["depthwise", "linear"]}),
    (("vgg16", "macs", "14.1 billion"), {"only": ["conv"]}),
    (("alexnet", "params", "40M"), {"input": [3, 224, 224], "without": ["fc8"]}),
    (("alexnet", "output_shape", "13x13x512", "conv5"), {"layer": "conv4"}),
    (("resnet101", "macs", "7.0 x 10^9"), {"plus": [{"spec": "resnet50_original"}], "minus": [{"spec": "resnet50"}]}),
    (("googlenet", "weights", "364K", "4a"), {"prefixes": "binary"}),
    (("shufflenet_v1", "macs", "139M"), {"rounding": "up"}),
    (("vgg16_bn", "params", "150M"), {"measure": "params_and_buffers"}),
]


@pytest.mark.parametrize("args,because,shown", POSITIVE, ids=[" ".join(a[0][:3]) for a in POSITIVE])
def test_named_alternative_that_reproduces_the_figure_explains_it(args, because, shown):
    v, why, _ = verdict(named(args, because))
    assert v == "explained", why
    if shown:
        assert shown in why
    assert why.endswith("(the claim adds: a note)")


@pytest.mark.parametrize("args,because", NEGATIVE, ids=[" ".join(a[0][:3]) for a in NEGATIVE])
def test_named_alternative_that_does_not_reproduce_is_a_mismatch(args, because):
    v, why, _ = verdict(named(args, because, text="trust me: the source is right"))
    assert v == "mismatch", why
    assert "does not reproduce it" in why and "trust me" not in why


def test_named_alternative_that_cannot_be_computed_is_a_mismatch():
    v, why, _ = verdict(named(("alexnet", "params", "1M", "conv1"), {"only": ["no_such_layer"]}))
    assert v == "mismatch" and "cannot be computed" in why
    v, why, _ = verdict(named(("alexnet", "params", "3M"), {"spec": "no_such_net"}))
    assert v == "mismatch" and "cannot be computed" in why
    v, why, _ = verdict(named(("alexnet", "params", "3M"), {"layer": "nope"}))
    assert v == "mismatch" and "cannot be computed" in why


def test_width_first_shapes_and_upper_bounds_are_readings_not_excuses():
    # the edge-detection image is 280 tall and 320 wide; the notes write width x height
    c = claim("examples/edge_detection_horizontal_difference", "output_shape", "320x280", "input", order="whc")
    assert verdict(c)[0] == "match"
    c = claim("examples/edge_detection_horizontal_difference", "output_shape", "280x320", "input", order="whc")
    assert verdict(c)[0] == "mismatch"
    # Inception-v3: "less than 25 million parameters" (23,834,568), a bound; 20 million is broken by it
    assert verdict(claim("inception_v3", "params", "less than 25 million"))[0] == "match"
    v, why, _ = verdict(claim("inception_v3", "params", "less than 2.5 million"))  # no factor-of-ten excuse
    assert v == "mismatch" and "not under" in why


def test_unknown_layer_or_spec_is_a_mismatch():
    assert verdict(claim("alexnet", "params", "1", "nope"))[0] == "mismatch"
    v, why, _ = verdict(claim("no_such_net", "params", "1"))
    assert v == "mismatch" and "cannot compute" in why


def test_block_prefix_sums_its_layers():
    # GoogLeNet inception 3a: 128M ops in the paper's Table 1
    v, _, comp = verdict(claim("googlenet", "macs", "128M", "3a"))
    assert v == "match" and comp == 128_049_152


# ------------------------------------------------------------------------------------------------ files and CLI
def write(tmp_path, text, name="c.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_claim_file_errors_name_file_and_line(tmp_path):
    p = write(tmp_path, "source: s\nclaims:\n  - {spec: vgg16, quantity: params, value: '138M'}\n"
                        "  - {spec: vgg16, quantity: parameters, value: '138M'}\n")
    with pytest.raises(SpecError) as e:
        load_file(p, "c.yaml")
    assert str(e.value).startswith("c.yaml:4:") and "unknown quantity 'parameters'" in str(e.value)
    p = write(tmp_path, "claims:\n  - {spec: vgg16, quantity: params, value: '138M'}\n")
    with pytest.raises(SpecError, match="lacks a 'source'"):
        load_file(p, "c.yaml")
    p = write(tmp_path, "source: s\nclaims:\n  - {spec: vgg16, quantity: output_shape, value: '7x7x512'}\n")
    with pytest.raises(SpecError, match="needs a 'layer'"):
        load_file(p, "c.yaml")


def test_cli_exit_codes_and_json(tmp_path):
    good = write(tmp_path, "source: s\nclaims:\n  - {spec: vgg16, quantity: params, value: '138M'}\n"
                           "  - {spec: vgg16, quantity: macs, value: '30.9G'}\n", "good.yaml")
    r = runner.invoke(app, ["verify", "--claims", str(good), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["verdict"] for x in rows] == ["match", "explained"]
    for key in ("spec", "layer", "quantity", "claimed", "computed", "verdict", "explanation", "source"):
        assert key in rows[0]
    assert rows[0]["computed"] == 138_357_544 and rows[0]["claimed"] == "138M"
    bad = write(tmp_path, "source: s\nclaims:\n  - {spec: vgg16, quantity: params, value: '100M'}\n", "bad.yaml")
    r = runner.invoke(app, ["verify", "--claims", str(bad)])
    assert r.exit_code == 1 and "mismatch" in r.output
    r = runner.invoke(app, ["verify", "--claims", str(good), "alexnet"])
    assert r.exit_code == 2 and "no claims about alexnet" in r.output
    r = runner.invoke(app, ["verify", "--claims", str(good), "--only", "maybe"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["verify", "--claims", str(good), "--only", "explained", "--format", "csv"])
    assert r.exit_code == 0 and r.output.count("\n") == 2 and "explained" in r.output


# ------------------------------------------------------------------------------------------------ source errors
ERR = ("source: s\nclaims:\n  - spec: vgg16\n    quantity: params\n    value: '100M'\n"
       "    source_error: {{archstat: '{pin}', why: 'the slide counts only the conv layers'}}\n")


def test_an_acknowledged_source_error_is_still_a_mismatch_but_does_not_fail(tmp_path):
    p = write(tmp_path, ERR.format(pin="138,357,544"))
    r = runner.invoke(app, ["verify", "--claims", str(p), "--format", "json"])
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.output)
    assert row["verdict"] == "mismatch" and row["acknowledged"] is True
    assert "acknowledged as the source's error: the slide counts only the conv layers" in row["explanation"]
    r = runner.invoke(app, ["verify", "--claims", str(p)])
    assert "mismatch (source error)" in r.output and "1 mismatch (1 acknowledged" in r.output
    r = runner.invoke(app, ["verify", "--claims", str(p), "--strict"])
    assert r.exit_code == 1


def test_an_acknowledgment_lapses_when_archstat_s_figure_moves(tmp_path):
    p = write(tmp_path, ERR.format(pin="138,357,545"))  # one off the computed 138,357,544
    r = runner.invoke(app, ["verify", "--claims", str(p), "--format", "json"])
    assert r.exit_code == 1
    (row,) = json.loads(r.output)
    assert row["acknowledged"] is False and "pins archstat's figure at 138,357,545" in row["explanation"]


def test_an_acknowledgment_of_a_claim_that_holds_is_itself_a_mismatch(tmp_path):
    p = write(tmp_path, ERR.format(pin="138,357,544").replace("'100M'", "'138M'"))
    r = runner.invoke(app, ["verify", "--claims", str(p), "--format", "json"])
    assert r.exit_code == 1
    (row,) = json.loads(r.output)
    assert row["verdict"] == "mismatch" and "now match" in row["explanation"] and "drop 'source_error'" in row["explanation"]


@pytest.mark.parametrize("mark,match", [
    ("source_error: 'the paper is wrong'", "is a mapping"),
    ("source_error: {archstat: '1', why: 'x', how: 'y'}", "unknown source_error key 'how'"),
    ("source_error: {why: 'x'}", "needs 'archstat'"),
    ("source_error: {archstat: '1', why: ''}", "needs 'why'"),
])
def test_bad_source_error_marks_name_the_line(tmp_path, mark, match):
    p = write(tmp_path, f"source: s\nclaims:\n  - spec: vgg16\n    quantity: params\n    value: '100M'\n    {mark}\n")
    with pytest.raises(SpecError, match=match) as e:
        load_file(p, "c.yaml")
    assert str(e.value).startswith("c.yaml:3:")


def test_a_figure_cut_off_at_its_last_non_zero_digit_is_a_truncation_not_a_rounding():
    v = parse_value("650,000")  # AlexNet's "650,000 neurons" for 659,272 conv and fc outputs
    assert not v.matches(659_272) and v.matches(659_272, coarse=True) and not v.matches(661_000, coarse=True)
    from archstat.claims.causes import _rounding
    assert _rounding(v, 659_272) == "a truncated figure: 659,272 cut off to 650,000 at 2 significant figures"
    assert _rounding(v, 648_000).startswith("a rounded figure")


def test_a_path_to_a_zoo_spec_file_is_verified_against_its_claims():
    from archstat.language.catalog import specs_dir

    by_name = runner.invoke(app, ["verify", "resnet18", "--format", "json"])
    by_path = runner.invoke(app, ["verify", str(specs_dir() / "resnet18.yaml"), "--format", "json"])
    assert by_name.exit_code == by_path.exit_code == 0, by_path.output
    assert json.loads(by_path.output) == json.loads(by_name.output) != []
