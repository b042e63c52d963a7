"""`archstat verify`: reading values as sources write them, the verdicts, and each automatic cause.

The expected figures are derived by hand next to each case (AlexNet conv1: (11*11*3 + 1) * 96 = 34,944 parameters;
VGG-16: 138,357,544 parameters and 15,470,264,320 MACs, as test_specs.py establishes from torchvision's meta).
"""

from fractions import Fraction

import json

import pytest
from typer.testing import CliRunner

from archstat.claims.store import Claim, load_file, parse_value
from archstat.cli import app
from archstat.errors import SpecError
from archstat.claims.verify import Book, judge

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
    rows = [claim("vgg16", "activations", "3.2M", "stage1.conv1", group="g"),
            claim("vgg16", "activations", "3.2M", "stage1.conv2", group="g")]
    # the rows are right (224*224*64 = 3,211,264 each); a "total" of 24M disagrees with their sum
    total = claim("vgg16", "activations", "24M", total_of="g")
    total.spec = "vgg16"
    r = judge(total, Book(), [total, *rows])
    assert r.verdict == "mismatch"  # the rows (6.4M) are not the network's total (15.2M): no excuse
    v, why, _ = verdict(claim("vgg16", "activations", "15.2M"))
    assert v == "match"
    rows.append(claim("vgg16", "activations", "8.8M", "stage2.conv1", group="g"))  # rows now sum to 15.2M
    r = judge(total, Book(), [total, *rows])
    assert r.verdict == "explained" and "rows sum to 15,200,000, not 24M" in r.explanation


def test_factor_of_ten():
    v, why, _ = verdict(claim("alexnet", "macs", "10.5M", "conv1"))  # 105,415,200 / 10
    assert v == "explained" and "factor-of-ten" in why


def test_rounded_figure():
    v, why, _ = verdict(claim("alexnet", "params", "60 million"))  # 62,378,344
    assert v == "explained" and "1 significant figure" in why


def test_mismatch_and_hand_explanation():
    v, why, _ = verdict(claim("resnet50", "params", "20M"))
    assert v == "mismatch" and "25,557,032" in why
    v, why, _ = verdict(claim("resnet50", "params", "20M", explanation="the slide is about ResNet-34"))
    assert v == "explained" and why.startswith("by hand")


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
