"""Hostile and malformed specs: whatever a file holds, archstat answers with one exact line and a documented exit
code, in bounded time and memory, and executes nothing (README "Exit codes", "Limits").

Every case runs the real CLI in a subprocess, ``python -m archstat summary FILE``, from the case's own directory
(so messages read ``FILE:LINE: ...``), under a wall-clock timeout (a hang fails) and an address-space limit set in
``preexec_fn`` (a blow-up fails). The corpus is ``tests/hostile/*.yaml``, one file per case; the cases that are too
big to commit or are not files (a 10 MB line, half a million brackets, a directory, a missing file, standard input)
are written at run time. All selected cases run first, a few processes at a time, and each test checks its own.

Coverage of the issue's list, by case name: empty (empty, comments_only); YAML syntax (yaml_*); a list or scalar at
the top (top_level_*); binary garbage (binary_*); non-UTF-8 (latin1_text, utf16_text); alias bombs (alias_bomb_*,
alias_deep_chain, alias_recursive); deep nesting (deep_*); ``!!python`` tags (python_*, local_tag); a 10 MB line
(ten_mb_line, stdin_ten_mb_line); missing or mistyped fields (missing_*, conv_out_*, input_*, name_number,
title_list, year_text, ...); unknown kinds and keys (unknown_*); stride or kernel zero (conv_stride_zero,
conv_kernel_zero, maxpool_stride_zero, conv_dilation_zero); a kernel larger than its padded input
(kernel_larger_than_input, pool_larger_than_input); groups (groups_not_dividing_*); unknown or later references
(unknown_input, later_input); cycles (self_input, cycle_of_two); duplicate names (duplicate_*); a block that
instantiates itself (block_instantiates_itself, blocks_instantiate_each_other); merges (concat_height_width,
add_shapes, add_shapes_in_block, mul_shapes); a repeat of a billion (repeat_billion*, repeat_of_*); expressions
(expr_*); a missing file, a directory, not YAML at all (missing_file, a_directory, not_yaml_*).
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Outcome, cli_env, limit_memory

from archstat.language.synonyms import kind_hint

NO_KIND = kind_hint("no such op at all", [])  # the advice after an unknown kind no kind or alias is near

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).resolve().parent / "hostile"
TIMEOUT_S = 10  # a hang fails; every case answers in well under a second on a laptop
MEMORY_BYTES = 1 << 30  # address space of each run: an alias bomb or a runaway expansion cannot hide
PREFIX = "archstat: error: "

# tests/hostile/CASE.yaml: (case, exit code, the line on standard error after "archstat: error: "; None: valid)
CORPUS = [
    ("accuracy_out_of_range", 1, "accuracy_out_of_range.yaml:3: accuracy: 'top1' must be a percentage in "
                                 "(0, 100], got 120"),
    ("adaptive_pool_huge_output", 0, None),  # valid; its window sums were a loop of 2**31 steps
    ("add_shapes", 1, "add_shapes.yaml:5: layer 'add1': add: inputs 'input' (3x8x8) and 'wide' (16x8x8) "
                      "disagree: shapes differ (3x8x8 vs 16x8x8); add needs identical shapes"),
    ("add_shapes_in_block", 1, "add_shapes_in_block.yaml:8: layer 'stage.0.unit.add1': add: inputs "
                               "'stage.0.unit.conv' (4x8x8) and 'res1.add1' (3x8x8) disagree: shapes "
                               "differ (4x8x8 vs 3x8x8); add needs identical shapes"),
    ("alias_bomb_citations", 1, "alias_bomb_citations.yaml:10: YAML aliases expand this to more than "
                                "1,000,000 values (the limit)"),
    ("alias_bomb_layers", 1, "alias_bomb_layers.yaml:22: YAML aliases expand this to more than 1,000,000 "
                             "values (the limit)"),
    ("alias_bomb_vars", 1, "alias_bomb_vars.yaml:10: YAML aliases expand this to more than 1,000,000 "
                           "values (the limit)"),
    ("alias_deep_chain", 1, "alias_deep_chain.yaml:7: YAML nested deeper than 64 levels (through aliases)"),
    ("alias_recursive", 1, "alias_recursive.yaml:3: YAML error: found unconstructable recursive node"),
    ("arguments_list", 1, "arguments_list.yaml:4: 'conv': arguments must be a mapping, got a list"),
    ("as_number", 1, "as_number.yaml:4: 'as' must name a variable, got 5"),
    ("binary_garbage", 1, "binary_garbage.yaml:1: not UTF-8 text (byte 0x82 at offset 6)"),
    ("binary_nul", 1, "binary_nul.yaml:5: binary data (NUL byte) in a spec file"),
    ("binary_png", 1, "binary_png.yaml:1: not UTF-8 text (byte 0x89 at offset 0)"),
    ("block_instantiates_itself", 1, "block_instantiates_itself.yaml:7: layer 'unit1': block 'unit' "
                                     "instantiates itself (unit -> unit)"),
    ("block_missing_argument", 1, "block_missing_argument.yaml:8: layer 'unit1': block 'unit' needs argument 'c'"),
    ("block_named_like_a_kind", 1, "block_named_like_a_kind.yaml:4: block 'conv' has the name of a layer "
                                   "kind; rename it"),
    ("block_unknown_argument", 1, "block_unknown_argument.yaml:8: layer 'unit1': block 'unit' has no "
                                  "argument 'width' (arguments: c)"),
    ("blocks_instantiate_each_other", 1, "blocks_instantiate_each_other.yaml:7: layer 'p.pong1': block "
                                         "'ping' instantiates itself (ping -> pong -> ping)"),
    ("blocks_list", 1, "blocks_list.yaml:3: 'blocks' must be a mapping of block names to definitions"),
    ("comments_only", 1, "comments_only.yaml: the file holds only comments"),
    ("concat_height_width", 1, "concat_height_width.yaml:5: layer 'concat1': concat: inputs 'pooled' "
                               "(3x4x4) and 'input' (3x8x8) disagree: height and width differ (3x4x4 vs "
                               "3x8x8); concat needs equal height and width"),
    ("conv_dilation_zero", 1, "conv_dilation_zero.yaml:4: layer 'conv1': 'dilation' must be a positive "
                              "integer or [height, width] of them, got 0"),
    ("conv_kernel_zero", 1, "conv_kernel_zero.yaml:4: layer 'conv1': 'kernel' must be a positive integer "
                            "or [height, width] of them, got 0"),
    ("conv_on_flat_vector", 1, "conv_on_flat_vector.yaml:4: layer 'conv1': conv needs a C x H x W input, "
                               "got 10 (a flat vector: is there a flatten too early?)"),
    ("conv_out_bool", 1, "conv_out_bool.yaml:4: layer 'conv1': 'out' must be a positive integer, got True"),
    ("conv_out_float", 1, "conv_out_float.yaml:4: layer 'conv1': 'out' must be a positive integer, got 64.5"),
    ("conv_out_huge", 1, "conv_out_huge.yaml:4: layer 'conv1': 'out' must be a positive integer, got "
                         "100000000000000000000"),
    ("conv_out_list", 1, "conv_out_list.yaml:4: layer 'conv1': 'out' must be a positive integer, got [64]"),
    ("conv_out_mapping", 1, "conv_out_mapping.yaml:5: layer 'conv1': a nested mapping is not a valid "
                            "argument value here"),
    ("conv_out_missing", 1, "conv_out_missing.yaml:4: layer 'conv1': conv: missing required argument 'out'"),
    ("conv_out_negative", 1, "conv_out_negative.yaml:4: layer 'conv1': 'out' must be a positive integer, got -64"),
    ("conv_out_string", 1, "conv_out_string.yaml:4: layer 'conv1': 'out' must be a positive integer, got "
                           "'sixty-four'"),
    ("conv_out_zero", 1, "conv_out_zero.yaml:4: layer 'conv1': 'out' must be a positive integer, got 0"),
    ("conv_padding_negative", 1, "conv_padding_negative.yaml:4: layer 'conv1': 'padding' must be an "
                                 "integer >= 0, [h, w], [top, bottom, left, right], 'same' or 'valid', got -1"),
    ("conv_padding_same_stride", 1, "conv_padding_same_stride.yaml:4: layer 'conv1': conv: padding "
                                    "'same' needs stride 1 (as in PyTorch), got stride 2x2; give the "
                                    "padding as numbers"),
    ("conv_stride_zero", 1, "conv_stride_zero.yaml:4: layer 'conv1': 'stride' must be a positive integer "
                            "or [height, width] of them, got 0"),
    ("crop_larger_than_input", 1, "crop_larger_than_input.yaml:4: layer 'crop1': crop: target 20x20 is "
                                  "larger than the input 3x8x8"),
    ("cycle_of_two", 1, "cycle_of_two.yaml:4: layer 'a': unknown input 'b': no layer of that name comes "
                        "before this one (inputs must name earlier layers)"),
    ("deep_block_nesting", 1, "deep_block_nesting.yaml:4: YAML nested deeper than 64 levels"),
    ("deep_flow_nesting", 1, "deep_flow_nesting.yaml:3: YAML nested deeper than 64 levels"),
    ("deep_mapping_nesting", 1, "deep_mapping_nesting.yaml:3: YAML nested deeper than 64 levels"),
    ("dropout_above_one", 1, "dropout_above_one.yaml:4: layer 'dropout1': 'p' must be between 0 and 1, got 1.5"),
    ("dropout_nan", 1, "dropout_nan.yaml:4: layer 'dropout1': 'p' must be a number, got nan"),
    ("duplicate_group_name", 1, "duplicate_group_name.yaml:5: duplicate layer name 'stage' (first "
                                "defined on line 4; inside an unnamed repeat, name the repeat so each "
                                "pass gets its own scope)"),
    ("duplicate_name", 1, "duplicate_name.yaml:5: duplicate layer name 'act' (first defined on line 4; "
                          "inside an unnamed repeat, name the repeat so each pass gets its own scope)"),
    ("empty", 1, "empty.yaml: the file is empty"),
    ("empty_layers", 1, "empty_layers.yaml:3: 'layers' must be a non-empty list"),
    ("expr_attribute", 1, "expr_attribute.yaml:4: layer 'conv1': '().__class__.__base__': attribute "
                          "access is not allowed in spec expressions"),
    ("expr_comprehension", 1, "expr_comprehension.yaml:4: layer 'conv1': '[i for i in 'abc']': a "
                              "comprehension is not allowed in spec expressions"),
    ("expr_division_by_zero", 1, "expr_division_by_zero.yaml:4: layer 'conv1': division by zero in '8 / 0'"),
    ("expr_dunder_import", 1, "expr_dunder_import.yaml:4: layer 'conv1': '__import__('os').system('echo "
                              "pwned')': calling '__import__('os').system' is not allowed (functions: "
                              "abs, ceil, floor, int, make_divisible, max, min, round)"),
    ("expr_huge_power", 1, "expr_huge_power.yaml:4: layer 'conv1': exponent too large in '9**9**9'"),
    ("expr_huge_product", 1, "expr_huge_product.yaml:4: layer 'conv1': value in '10**30 * 10**30' exceeds 10**30"),
    ("expr_import_statement", 1, "expr_import_statement.yaml:4: layer 'conv1': cannot parse expression 'import os'"),
    ("expr_inexact_division", 1, "expr_inexact_division.yaml:4: layer 'conv1': '9 / 2': 9/2 is not a "
                                 "whole number (use // to floor)"),
    ("expr_interpolation_doubling", 1, "expr_interpolation_doubling.yaml:8: '$s3$s3' makes text longer "
                                       "than 1,000 characters"),
    ("expr_lambda", 1, "expr_lambda.yaml:4: layer 'conv1': '(lambda: 8)()': calling 'lambda: 8' is not "
                       "allowed (functions: abs, ceil, floor, int, make_divisible, max, min, round)"),
    ("expr_modulo_zero", 1, "expr_modulo_zero.yaml:4: layer 'conv1': division by zero in '8 % 0'"),
    ("expr_no_real_value", 1, "expr_no_real_value.yaml:4: layer 'conv1': '(-8) ** 0.5' has no real value"),
    ("expr_open_call", 1, "expr_open_call.yaml:4: layer 'conv1': 'open('/etc/passwd')': calling 'open' "
                          "is not allowed (functions: abs, ceil, floor, int, make_divisible, max, min, round)"),
    ("expr_round_digits", 1, "expr_round_digits.yaml:4: layer 'conv1': cannot evaluate 'round(5, "
                             "-1000000000)': round() takes at most 30 digits, got -1000000000"),
    ("expr_shift", 1, "expr_shift.yaml:4: layer 'conv1': '1 << 100000': the operator '<<' is not allowed "
                      "in spec expressions"),
    ("expr_string_doubling", 1, "expr_string_doubling.yaml:8: 's3 + s3' makes text longer than 1,000 characters"),
    ("expr_subscript", 1, "expr_subscript.yaml:4: layer 'conv1': ''abc'[0]': a subscript is not allowed "
                          "in spec expressions"),
    ("expr_syntax_error", 1, "expr_syntax_error.yaml:4: layer 'conv1': cannot parse expression '2 *'"),
    ("expr_too_long", 1, "expr_too_long.yaml:4: layer 'conv1': expression longer than 200 characters"),
    ("expr_too_many_terms", 1, "expr_too_many_terms.yaml:4: layer 'conv1': expression "
                               "'1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1"
                               "+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1' has 179 syntax nodes, "
                               "more than the limit of 100"),
    ("expr_unknown_name", 1, "expr_unknown_name.yaml:5: layer 'conv1': unknown name 'widht' in 'widht' "
                             "(known: width)"),
    ("expr_walrus", 1, "expr_walrus.yaml:4: layer 'conv1': '(x := 8)': assignment (:=) is not allowed in "
                       "spec expressions"),
    ("frozen_text", 1, "frozen_text.yaml:4: layer 'conv1': 'frozen' must be true or false, got 'yes please'"),
    ("groups_not_dividing_input", 1, "groups_not_dividing_input.yaml:4: layer 'conv1': conv: groups 2 "
                                     "does not divide the 3 input channels"),
    ("groups_not_dividing_output", 1, "groups_not_dividing_output.yaml:4: layer 'conv1': conv: groups 4 "
                                      "does not divide the 6 output channels"),
    ("include_a_spec", 1, "empty_layers.yaml:1: a block library holds only 'blocks:' (and 'doc:'), not "
                          "'name'; included by include_a_spec.yaml:3"),
    ("include_absolute", 1, "include_absolute.yaml:3: include '/etc/passwd.yaml' must be a relative path "
                            "to a .yaml file, or a packaged library archstat:NAME"),
    ("include_broken_block", 1, "lib/broken.yaml:7: layer 'unit1.batchnorm1': 'momentum' must be a "
                                "number, got 'fast'"),
    ("include_missing", 1, "include_missing.yaml:3: cannot read include 'lib/nothere.yaml': no such "
                           "file"),
    ("include_not_yaml", 1, "include_not_yaml.yaml:3: include 'lib/blocks.txt' must be a relative path "
                            "to a .yaml file, or a packaged library archstat:NAME"),
    ("include_outside_directory", 1, "include_outside_directory.yaml:3: include "
                                     "'../../archstat/specs.yaml' is outside the spec's directory (a "
                                     "packaged library: archstat:NAME)"),
    ("input_float", 1, "input_float.yaml:2: 'input' must be [C, H, W] (or [features]) of positive "
                       "integers, got [3, 224.5, 224]"),
    ("input_huge", 1, "input_huge.yaml:2: 'input' must be [C, H, W] (or [features]) of positive "
                      "integers, got [3, 4294967296, 4294967296]"),
    ("input_negative", 1, "input_negative.yaml:2: 'input' must be [C, H, W] (or [features]) of positive "
                          "integers, got [3, -224, 224]"),
    ("input_not_a_name", 1, "input_not_a_name.yaml:4: layer 'relu1': an input must be a layer name, got 5"),
    ("input_string", 1, "input_string.yaml:2: 'input' must be [C, H, W] (or [features]) of positive "
                        "integers, got '3x224x224'"),
    ("input_two_dims", 1, "input_two_dims.yaml:2: 'input' must be [C, H, W] (or [features]) of positive "
                          "integers, got [224, 224]"),
    ("input_zero", 1, "input_zero.yaml:2: 'input' must be [C, H, W] (or [features]) of positive "
                      "integers, got [0, 224, 224]"),
    ("inputs_empty", 1, "inputs_empty.yaml:4: layer 'concat1': 'inputs' is empty"),
    ("inputs_mapping", 1, "inputs_mapping.yaml:4: layer 'relu1': a nested mapping is not a valid "
                          "argument value here"),
    ("item_list", 1, "item_list.yaml:4: a layer item must be a kind name or a 'kind: {args}' mapping, "
                     "got ['relu', 'relu']"),
    ("item_null", 1, "item_null.yaml:5: a layer item must be a kind name or a 'kind: {args}' mapping, got None"),
    ("item_two_kinds", 1, "item_two_kinds.yaml:4: a layer item has one key, the kind (e.g. 'conv: "
                          "{...}'); got conv, relu"),
    ("kernel_larger_than_input", 1, "kernel_larger_than_input.yaml:5: layer 'big': conv: output height "
                                    "would be -1: window 7 (kernel 7) is larger than the padded input 5 "
                                    "(3 + 1 + 1) with stride 1"),
    ("later_input", 1, "later_input.yaml:4: layer 'add1': unknown input 'skip': no layer of that name "
                       "comes before this one (inputs must name earlier layers)"),
    ("latin1_text", 1, "latin1_text.yaml:1: not UTF-8 text (byte 0xe9 at offset 9)"),
    ("layers_scalar", 1, "layers_scalar.yaml:3: 'layers' must be a non-empty list"),
    ("rbf_on_feature_map", 1, "rbf_on_feature_map.yaml:4: layer 'rbf1': rbf needs a flat input, got "
                              "3x8x8: add a 'flatten' before it"),
    ("linear_shorthand_text", 1, "linear_shorthand_text.yaml:4: layer 'linear1': 'out' must be a "
                                 "positive integer, got 'ten'"),
    ("local_tag", 1, "local_tag.yaml:3: YAML error: could not determine a constructor for the tag '!layers'"),
    ("maxpool_stride_zero", 1, "maxpool_stride_zero.yaml:4: layer 'maxpool1': 'stride' must be a "
                               "positive integer or [height, width] of them, got 0"),
    ("missing_input", 1, "missing_input.yaml:1: missing 'input'"),
    ("missing_layers", 1, "missing_layers.yaml:1: missing 'layers'"),
    ("missing_name", 1, "missing_name.yaml:1: missing 'name'"),
    ("mul_shapes", 1, "mul_shapes.yaml:5: layer 'mul1': mul: inputs 'input' (3x8x8) and 'c' (4x6x6) "
                      "disagree: shapes cannot broadcast (3x8x8 vs 4x6x6); mul needs equal sizes or 1"),
    ("name_input_reserved", 1, "name_input_reserved.yaml:4: 'input' is reserved for the network (or block) input"),
    ("name_number", 1, "name_number.yaml:1: 'name' must be text, got 16"),
    ("name_too_long", 1, "name_too_long.yaml:4: layer name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' "
                         "is 300 characters long, more than the limit of 256"),
    ("name_with_space", 1, "name_with_space.yaml:4: layer name 'my relu' must be letters, digits, '_', '-' or '.'"),
    ("newline_in_kind", 1, "newline_in_kind.yaml:4: unknown layer kind 'relu\\nTraceback (most recent call last):'"
                        + NO_KIND),
    ("not_yaml_html", 1, "not_yaml_html.yaml:1: a spec is a mapping with name, input and layers; this "
                         "file holds text"),
    ("not_yaml_ini", 1, "not_yaml_ini.yaml:2: YAML error: did not find expected <document start>"),
    ("not_yaml_python", 1, "not_yaml_python.yaml:1: a spec is a mapping with name, input and layers; "
                           "this file holds text"),
    ("pool_larger_than_input", 1, "pool_larger_than_input.yaml:4: layer 'maxpool1': maxpool: output "
                                  "height would be 0: window 9 (kernel 9) is larger than the padded "
                                  "input 8 (8 + 0 + 0) with stride 9"),
    ("python_module", 1, "python_module.yaml:4: YAML error: could not determine a constructor for the "
                         "tag 'tag:yaml.org,2002:python/module:os'"),
    ("python_name", 1, "python_name.yaml:1: YAML error: could not determine a constructor for the tag "
                       "'tag:yaml.org,2002:python/name:os.system'"),
    ("python_object_apply", 1, "python_object_apply.yaml:4: YAML error: could not determine a "
                               "constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("repeat_billion", 1, "repeat_billion.yaml:4: 'repeat: 1,000,000,000' is more than the limit of 10,000"),
    ("repeat_billion_expression", 1, "repeat_billion_expression.yaml:4: layer 'tower': 'repeat: "
                                     "1,000,000,000' is more than the limit of 10,000"),
    ("repeat_negative", 1, "repeat_negative.yaml:4: 'repeat' must be a whole number >= 0, got -1"),
    ("repeat_of_nothing", 1, "repeat_of_nothing.yaml:4: the spec takes more than 1,000,000 steps to "
                             "expand (expression nodes, layers, inputs and repeat passes; the limit)"),
    ("repeat_of_repeats", 1, "repeat_of_repeats.yaml:4: more than 100,000 layers after expansion (the limit)"),
    ("repeat_of_wide_adds", 1, "repeat_of_wide_adds.yaml:4: the spec takes more than 1,000,000 steps to "
                               "expand (expression nodes, layers, inputs and repeat passes; the limit)"),
    ("repeat_text", 1, "repeat_text.yaml:4: 'repeat' must be a whole number >= 0, got 'many'"),
    ("repeat_without_layers", 1, "repeat_without_layers.yaml:4: a 'repeat' needs a 'layers' list"),
    ("self_input", 1, "self_input.yaml:4: layer 'loop': unknown input 'loop': no layer of that name "
                      "comes before this one (inputs must name earlier layers)"),
    ("shorthand_not_taken", 1, "shorthand_not_taken.yaml:4: layer 'conv1': 'conv' takes a mapping of "
                               "arguments, not 8"),
    ("shuffle_groups_not_dividing", 1, "shuffle_groups_not_dividing.yaml:4: layer 'channel_shuffle1': "
                                       "channel_shuffle: groups 2 does not divide the 3 channels"),
    ("slice_past_channels", 1, "slice_past_channels.yaml:4: layer 'slice1': slice: stop 20 is past the 3 "
                               "channels of 3x8x8"),
    ("terminal_escape_in_kind", 1, "terminal_escape_in_kind.yaml:4: unknown layer kind '\\x1b[2J\\x1b[31mrelu'"
                                + NO_KIND),
    ("title_list", 1, "title_list.yaml:2: 'title' must be text, got ['VGG', 16]"),
    ("top_level_list", 1, "top_level_list.yaml:1: a spec is a mapping with name, input and layers; this "
                          "file holds a list"),
    ("top_level_number", 1, "top_level_number.yaml:1: a spec is a mapping with name, input and layers; "
                            "this file holds a number"),
    ("top_level_scalar", 1, "top_level_scalar.yaml:1: a spec is a mapping with name, input and layers; "
                            "this file holds text"),
    ("unknown_argument", 1, "unknown_argument.yaml:4: layer 'conv1': conv: unknown argument 'strides' "
                            "(arguments: out, kernel, stride, padding, dilation, groups, bias)"),
    ("unknown_block_key", 1, "unknown_block_key.yaml:5: block 'unit': unknown key 'params' (keys: args, "
                             "layers, doc)"),
    ("unknown_group_key", 1, "unknown_group_key.yaml:4: layer 'stage': a group takes layers, repeat, "
                             "name, inputs, as, when; unknown key 'times'"),
    ("unknown_input", 1, "unknown_input.yaml:5: layer 'relu1': unknown input 'c2': no layer of that name "
                         "comes before this one (inputs must name earlier layers)"),
    ("unknown_kind", 1, "unknown_kind.yaml:5: unknown layer kind 'convv' (did you mean 'conv'?)"),
    ("unknown_kind_no_match", 1, "unknown_kind_no_match.yaml:4: unknown layer kind 'transformer'" + NO_KIND),
    ("unknown_top_level_key", 1, "unknown_top_level_key.yaml:3: unknown top-level key 'layer' (did you "
                                 "mean 'layers'?) (keys: name, title, family, year, citations, accuracy, "
                                 "input, notes, include, vars, blocks, layers, outputs, expect)"),
    ("upsample_above_size_limit", 1, "upsample_above_size_limit.yaml:4: layer 'upsample1': upsample: "
                                     "output 3x17179869184x17179869184 has a size above the limit of 2,147,483,648"),
    ("utf16_text", 1, "utf16_text.yaml:1: not UTF-8 text (byte 0xff at offset 0)"),
    ("vars_list", 1, "vars_list.yaml:3: 'vars' must be a mapping of names to values"),
    ("when_text", 1, "when_text.yaml:4: 'when' must be true or false, got 'maybe'"),
    ("yaml_bad_date", 1, "yaml_bad_date.yaml:3: YAML error: cannot read the value 2015-13-45: month must "
                         "be in 1..12"),
    ("yaml_bad_indent", 1, "yaml_bad_indent.yaml:2: YAML error: mapping values are not allowed in this context"),
    ("yaml_bad_merge", 1, "yaml_bad_merge.yaml:3: YAML error: expected a mapping or list of mappings for "
                          "merging, but found scalar (while constructing a mapping on line 5)"),
    ("yaml_complex_key", 1, "yaml_complex_key.yaml:4: a mapping key must be a plain value, not a list or mapping"),
    ("yaml_control_character", 1, "yaml_control_character.yaml:1: YAML error: character U+0007 at offset "
                                  "7: control characters are not allowed"),
    ("yaml_duplicate_key", 1, "yaml_duplicate_key.yaml:4: duplicate key 'name'"),
    ("yaml_huge_integer", 1, "yaml_huge_integer.yaml:4: YAML error: cannot read the value "
                             "99999999999999999999...(5,000 characters): a number of 5,000 characters (the "
                             "limit is 64)"),
    ("yaml_tab_indent", 1, "yaml_tab_indent.yaml:4: YAML error: found character that cannot start any "
                           "token (while scanning for the next token)"),
    ("yaml_two_documents", 1, "yaml_two_documents.yaml:4: YAML error: expected a single document in the "
                              "stream, but found another document"),
    ("yaml_unclosed_flow", 1, "yaml_unclosed_flow.yaml:4: YAML error: did not find expected ',' or ']' "
                              "(while parsing a flow sequence on line 3)"),
    ("yaml_unclosed_quote", 1, "yaml_unclosed_quote.yaml:4: YAML error: found unexpected end of stream "
                               "(while scanning a quoted scalar on line 1)"),
    ("yaml_undefined_alias", 1, "yaml_undefined_alias.yaml:3: YAML error: found undefined alias 'stack'"),
    ("year_text", 1, "year_text.yaml:2: 'year' must be a whole number, got 'last year'"),
    # issue 12: values built, numbers in any base, finite floats, work per expression node, two interpolations
    ('expr_list_repetition', 1, "expr_list_repetition.yaml:5: layer 'conv1': arithmetic on a list in 'widths * 10**10'"),
    ('expr_list_doubling', 1, "expr_list_doubling.yaml:5: arithmetic on a list in 'a + a'"),
    ('expr_text_repetition', 1, "expr_text_repetition.yaml:4: arithmetic on text in ''ab' * 10**9'"),
    ('yaml_binary_value', 1, 'yaml_binary_value.yaml:3: YAML tag !!binary is not spec data (numbers, text, lists and mappings)'),
    ('yaml_set_value', 1, 'yaml_set_value.yaml:4: YAML tag !!set is not spec data (numbers, text, lists and mappings)'),
    ('yaml_hex_huge', 1, 'yaml_hex_huge.yaml:4: YAML error: cannot read the value 0xffffffffffffffffff...(202 characters): a number of 202 characters (the limit is 64)'),
    ('yaml_base60_huge', 1, 'yaml_base60_huge.yaml:4: YAML error: cannot read the value 1:59:59:59:59:59:59:...(61 characters): the integer exceeds 10**30 in magnitude'),
    ('yaml_int_past_limit', 1, 'yaml_int_past_limit.yaml:4: YAML error: cannot read the value 10000000000000000000000000000000: the integer exceeds 10**30 in magnitude'),
    ('expr_work_in_repeats', 1, "expr_work_in_repeats.yaml:12: layer 'outer.2.inner.832.never': the spec takes more than 1,000,000 steps to expand (expression nodes, layers, inputs and repeat passes; the limit)"),
    ('scale_infinite', 1, "scale_infinite.yaml:4: layer 'scale1': 'value' must be a finite number, got inf"),
    ('batchnorm_eps_infinite', 1, "batchnorm_eps_infinite.yaml:4: layer 'batchnorm1': 'eps' must be a finite number, got inf"),
    ('lrn_alpha_infinite', 1, "lrn_alpha_infinite.yaml:4: layer 'lrn1': 'alpha' must be a finite number, got inf"),
    ('leaky_relu_slope_nan', 1, "leaky_relu_slope_nan.yaml:4: layer 'leaky_relu1': 'slope' must be a number, got nan"),
    ('expr_infinite_float', 1, "expr_infinite_float.yaml:4: layer 'leaky_relu1': value in '1e308 * 10' exceeds 10**30"),
    ('name_two_interpolations', 0, None),
    ('expr_unclosed', 1, "expr_unclosed.yaml:4: 'c$(1 + (2': '$(' is never closed"),
    ('include_nul_byte', 1, "include_nul_byte.yaml:3: include 'lib\\x00.yaml': the path holds a NUL byte"),
    ('custom_control_characters', 0, None),
    ('accuracy_infinite', 1, "accuracy_infinite.yaml:3: accuracy: 'top1' must be a percentage in (0, 100], got inf"),
]


def _files(**files):
    """Write files into a case's directory: name=bytes, or name=None for a directory ('.' in a name: '__')."""
    def make(d: Path) -> None:
        for name, data in files.items():
            path = d / name.replace("__", ".")
            path.mkdir() if data is None else path.write_bytes(data)
    return make


def _write(name: str, data: bytes):
    return _files(**{name.replace(".", "__"): data})


_NET = b"name: net\ninput: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3}\n"
_LIBRARY = b"blocks: {}\n" + b"#" * 600_000 + b"\n"  # two of these are more than 1 MiB


_TEN_MB = b"name: " + b"a" * 10_000_000 + b"\ninput: [3, 8, 8]\nlayers: [relu]\n"
_HUGE_VALUE = b"name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: " + b"a" * 900_000 + b", kernel: 3}\n"
_AT_LIMIT = b"name: t\ninput: [3, 8, 8]\nlayers: [relu]\n"
_AT_LIMIT += b"#" * ((1 << 20) - len(_AT_LIMIT) - 1) + b"\n"  # exactly 1 MiB: accepted


@dataclass
class Case:
    name: str
    exit: int
    line: str | None  # None: a success, nothing on standard error
    argv: list = field(default_factory=list)
    make: object = None  # writes the case's files into its directory (generated cases)
    stdin: str | None = None  # a file in the case's directory fed to standard input
    corpus: bool = False  # a file of tests/hostile/, run there; other cases get a directory of their own


def _fifo(name: str, **files):
    """A FIFO named ``name`` (nothing ever writes to it: reading it would block forever), beside ``files``."""
    def make(d: Path) -> None:
        _files(**files)(d)
        os.mkfifo(d / name)
    return make


def _symlink(name: str, target: str, **files):
    def make(d: Path) -> None:
        _files(**files)(d)
        os.symlink(target, d / name)
    return make


_INCLUDES_LIB = b"name: t\ninput: [3, 8, 8]\ninclude: [lib.yaml]\nlayers: [relu]\n"
_WIDE = b"name: w\ninput: [3, 8, 8]\nlayers:\n  - name: s\n    repeat: 10000\n    layers: [relu]\n"


# Cases written at run time, or not about a file: (case, exit, line, argv, make, stdin)
GENERATED = [
    Case("ten_mb_line", 1, "ten_mb_line.yaml: file is 10,000,039 bytes, more than the 1,048,576-byte limit",
         ["summary", "ten_mb_line.yaml"], _write("ten_mb_line.yaml", _TEN_MB)),
    Case("one_byte_over_the_limit", 1, "over.yaml: file is 1,048,577 bytes, more than the 1,048,576-byte limit",
         ["summary", "over.yaml"], _write("over.yaml", _AT_LIMIT + b"\n")),
    Case("exactly_at_the_limit", 0, None, ["summary", "at_limit.yaml", "--format", "json"],
         _write("at_limit.yaml", _AT_LIMIT)),
    Case("stdin_ten_mb_line", 1, "<stdin>: longer than the 1,048,576-byte limit", ["summary", "-"],
         _write("ten_mb_line.yaml", _TEN_MB), stdin="ten_mb_line.yaml"),
    Case("stdin_binary_garbage", 1, "<stdin>:1: not UTF-8 text (byte 0x82 at offset 6)", ["summary", "-"],
         stdin=str(HOSTILE / "binary_garbage.yaml")),
    Case("stdin_empty", 1, "<stdin>: the file is empty", ["summary", "-"], _files(nothing=b""), stdin="nothing"),
    Case("stdin_alias_bomb", 1, "<stdin>:10: YAML aliases expand this to more than 1,000,000 values (the limit)",
         ["summary", "-"], stdin=str(HOSTILE / "alias_bomb_vars.yaml")),
    Case("deep_half_million_brackets", 1, "deep.yaml:1: YAML nested deeper than 64 levels", ["summary", "deep.yaml"],
         _write("deep.yaml", b"[" * 500_000 + b"]" * 500_000)),  # libyaml's own composer overflowed the C stack
    Case("deep_half_million_dashes", 1, "dashes.yaml:1: YAML nested deeper than 64 levels",
         ["summary", "dashes.yaml"], _write("dashes.yaml", b"- " * 500_000 + b"relu\n")),
    Case("huge_value_quoted", 1, "huge.yaml:4: layer 'conv1': 'out' must be a positive integer, got '" + "a" * 643 +
         " ...[899,108 characters cut]... " + "a" * 249 + "'", ["summary", "huge.yaml"],
         _write("huge.yaml", _HUGE_VALUE)),
    Case("includes_over_the_limit", 1, "spec.yaml:3: the includes hold more than 1,048,576 bytes in all (the limit), "
         "with 'b.yaml'", ["summary", "spec.yaml"],
         _files(a__yaml=_LIBRARY, b__yaml=_LIBRARY,
                spec__yaml=b"name: t\ninput: [3, 8, 8]\ninclude: [a.yaml, b.yaml]\nlayers: [relu]\n")),
    Case("a_directory", 1, "a_directory.yaml: is a directory, not a spec file", ["summary", "a_directory.yaml"],
         _files(a_directory__yaml=None)),
    Case("missing_file", 1, "missing.yaml: no such file", ["summary", "missing.yaml"]),
    Case("missing_builtin", 1, "no built-in spec or file named 'zzzz_no_such_net'; 'archstat list' shows the "
         "built-in specs", ["summary", "zzzz_no_such_net"]),
    # usage: exit 2
    Case("output_is_the_spec", 2, "--output 'net.yaml': refusing to overwrite 'net.yaml', an input of this run",
         ["summary", "net.yaml", "--output", "net.yaml"], _write("net.yaml", _NET)),
    Case("output_directory_missing", 2, "--output 'nodir/out.csv': directory 'nodir' does not exist",
         ["summary", "net.yaml", "--output", "nodir/out.csv"], _write("net.yaml", _NET)),
    Case("output_is_a_directory", 2, "--output 'outdir': is a directory", ["summary", "net.yaml", "--output", "outdir"],
         _files(net__yaml=_NET, outdir=None)),
    Case("batch_too_large", 2, "batch must be at most 2,147,483,648, got 99,999,999,999",
         ["summary", "net.yaml", "--batch", "99999999999"], _write("net.yaml", _NET)),
    Case("input_too_large", 2, "--input: each size must be between 1 and 2,147,483,648, got 99999999999",
         ["summary", "net.yaml", "--input", "1x99999999999x8"], _write("net.yaml", _NET)),
    # issue 12: only regular files are read, each checked before it is opened; path errors are one line
    Case("spec_is_a_fifo", 1, "fifo.yaml: is a FIFO (named pipe), not a regular file", ["summary", "fifo.yaml"],
         _fifo("fifo.yaml")),
    Case("include_is_a_fifo", 1, "spec.yaml:3: cannot read include 'lib.yaml': is a FIFO (named pipe), not a "
         "regular file", ["summary", "spec.yaml"], _fifo("lib.yaml", spec__yaml=_INCLUDES_LIB)),
    Case("spec_is_dev_zero", 1, "/dev/zero: is a character device, not a regular file", ["summary", "/dev/zero"]),
    Case("spec_is_a_symlink_loop", 1, "loop.yaml: a loop of symbolic links", ["summary", "loop.yaml"],
         _symlink("loop.yaml", "loop.yaml")),
    Case("include_is_a_symlink_loop", 1, "spec.yaml:3: include 'lib.yaml': a loop of symbolic links",
         ["summary", "spec.yaml"], _symlink("lib.yaml", "lib.yaml", spec__yaml=_INCLUDES_LIB)),
    Case("spec_name_too_long", 1, f"{'n' * 110} ...[3,845 characters cut]... {'n' * 45}.yaml: the file name is "
         "too long", ["summary", "n" * 4000 + ".yaml"]),
    Case("yaml_list_too_long", 1, "long.yaml:4: a list of 100,001 items, more than the limit of 100,000",
         ["summary", "long.yaml"], _write("long.yaml", b"name: t\ninput: [3, 8, 8]\nvars:\n  l: [" +
                                          b"1, " * 100_000 + b"1]\nlayers: [relu]\n")),
    # issue 12: command-line numbers through one parser; sweeps bounded before they start
    Case("input_superscript_digit", 2, "--input must look like 3x224x224, 224x224 or 224, got '3x\u00b2x8'",
         ["summary", "net.yaml", "--input", "3x\u00b2x8"], _write("net.yaml", _NET)),
    Case("input_five_thousand_digits", 2, "--input: each size: a number of 5,000 digits (the limit is 64)",
         ["summary", "net.yaml", "--input", "1x" + "9" * 5000 + "x8"], _write("net.yaml", _NET)),
    Case("sizes_a_billion", 2, "--sizes gives more than 10,000 sizes (the limit)",
         ["sweep", "net.yaml", "--sizes", "1:1000000000:1"], _write("net.yaml", _NET)),
    Case("sizes_above_the_largest", 2, "--sizes: 99,999,999,999 is above the largest size, 2,147,483,648",
         ["sweep", "net.yaml", "--sizes", "8,99999999999"], _write("net.yaml", _NET)),
    Case("sweep_cells", 2, "the sweep asks for more than 200,000 layer analyses (sizes x layers, the limit); give "
         "fewer sizes", ["sweep", "wide.yaml", "--sizes", "8:128:4"], _write("wide.yaml", _WIDE)),
    Case("input_hw_on_a_flat_spec", 2, "--input HxW needs a spec whose input is [C, H, W]; give CxHxW",
         ["summary", "flat.yaml", "--input", "32x32"], _write("flat.yaml", b"name: f\ninput: [10]\nlayers: [relu]\n")),
]

CASES = [Case(name, code, line, ["summary", f"{name}.yaml"], corpus=True) for name, code, line in CORPUS] + GENERATED


def test_corpus_is_complete():
    """One table entry per file, and at least the 40 cases the issue asks for."""
    files = sorted(p.stem for p in HOSTILE.glob("*.yaml"))
    assert files == sorted(name for name, _, _ in CORPUS)
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


# ---- running ----------------------------------------------------------------------------------------------------
def run_all(cases: list[Case], tmp: Path) -> dict[str, Outcome]:
    """Run the cases' CLIs, as many at a time as there are CPUs, each under TIMEOUT_S and MEMORY_BYTES."""
    workers = max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)
    pending, running, done = list(cases), [], {}
    while pending or running:
        while pending and len(running) < workers:
            c = pending.pop(0)
            cwd = HOSTILE if c.corpus else tmp / c.name
            cwd.mkdir(parents=True, exist_ok=True)
            if c.make is not None:
                c.make(cwd)
            # each handle lives as long as its process; closed when the process is collected
            out, err = open(tmp / f"{c.name}.out", "wb+"), open(tmp / f"{c.name}.err", "wb+")  # noqa: SIM115
            stdin = open(cwd / c.stdin, "rb") if c.stdin else subprocess.DEVNULL  # noqa: SIM115
            p = subprocess.Popen([sys.executable, "-m", "archstat", *c.argv], cwd=cwd, stdin=stdin, stdout=out,
                                 stderr=err, env=cli_env(), preexec_fn=limit_memory)
            running.append((c, p, time.monotonic(), out, err, stdin))
        still = []
        for c, p, t0, out, err, stdin in running:
            rc, elapsed = p.poll(), time.monotonic() - t0
            if rc is None and elapsed < TIMEOUT_S:
                still.append((c, p, t0, out, err, stdin))
                continue
            if rc is None:
                p.kill()
                p.wait()
            texts = []
            for fh in (out, err):
                fh.seek(0)
                texts.append(fh.read().decode("utf-8", "replace"))
                fh.close()
            if stdin is not subprocess.DEVNULL:
                stdin.close()
            done[c.name] = Outcome(rc, texts[0], texts[1], elapsed)
        running = still
        time.sleep(0.005)
    return done


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory):
    """The outcome of every case selected in this session, run in parallel once."""
    selected = [item.callspec.params["case"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_hostile" and hasattr(item, "callspec")]
    return run_all(selected, tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile(case, outcomes):
    o = outcomes[case.name]
    assert o.rc is not None, f"no answer within {TIMEOUT_S} s"
    assert not any(line.startswith("Traceback") for line in o.stderr.splitlines()), o.stderr[-2000:]
    if case.line is None:
        assert (o.rc, o.stderr) == (0, ""), o.stderr
        return
    assert o.stderr == f"{PREFIX}{case.line}\n", o.stderr[:3000]
    assert o.rc == case.exit
    assert o.stdout == ""


def _cli(args, cwd, stdin: bytes = b"") -> Outcome:
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "archstat", *args], cwd=cwd, input=stdin, capture_output=True,
                       timeout=TIMEOUT_S, env=cli_env(), preexec_fn=limit_memory)
    return Outcome(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                   time.monotonic() - t0)


# ---- --output: atomic, never half written, never over the spec ---------------------------------------------------
# ---- standard input -------------------------------------------------------------------------------------------
def test_stdin_spec(tmp_path):
    p = _cli(["summary", "-", "--format", "json"], tmp_path, stdin=_NET)
    assert p.rc == 0, p.stderr
    assert json.loads(p.stdout)["totals"]["params"] == 2 * 9 + 2


def test_stdin_spec_includes_relative_to_the_working_directory():
    spec = (ROOT / "specs" / "resnet18.yaml").read_bytes()
    p = _cli(["summary", "-", "--format", "json"], ROOT / "specs", stdin=spec)
    assert p.rc == 0, p.stderr
    assert json.loads(p.stdout)["totals"]["params"] == 11_689_512


def test_stdin_error_names_stdin_and_the_line(tmp_path):
    p = _cli(["summary", "-"], tmp_path, stdin=_NET.replace(b"kernel: 3", b"kernel: 0"))
    assert (p.rc, p.stderr) == (1, f"{PREFIX}<stdin>:4: layer 'conv1': 'kernel' must be a positive integer "
                                           "or [height, width] of them, got 0\n")


# ---- the command line's own usage errors ----------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--batch", "0"], ["--format", "xml"], ["--depth", "x"], ["extra"]],
                         ids=["batch-0", "format-xml", "depth-x", "extra-argument"])
def test_usage_errors_exit_2_without_traceback(tmp_path, args):
    p = _cli(["summary", "lenet5", *args], tmp_path)
    assert p.rc == 2
    assert "Traceback" not in p.stderr and p.stdout == ""


def test_usage_errors_are_one_line(tmp_path):
    p = _cli(["summary", "lenet5", "--batch", "0"], tmp_path)
    assert p.stderr == f"{PREFIX}Invalid value for '--batch' / '-b': 0 is not in the range x>=1.\n"


# ---- bounded work on valid but hostile specs ------------------------------------------------------------------
def test_compounding_strides_stay_bounded(write_spec):
    """A stride of 2**31 on a 1x1 map, a thousand times: the receptive field's numbers would grow to 31,000 bits
    and cost quadratic time and memory; past 2**128 the field is reported unknown instead, with a note."""
    import archstat

    a = archstat.analyze(write_spec("name: t\ninput: [1, 1, 1]\nlayers:\n"
                                    "  - {repeat: 1000, layers: [conv: {out: 1, kernel: 1, stride: 2147483648}]}\n"))
    assert a.layers[3].field.stride == (2**124, 2**124) and a.layers[4].field is None
    assert a.layers[-1].field is None and a.layers[-1].output_shape == (1, 1, 1)
    assert ("conv5", "receptive field no longer tracked: its size, stride or padding outgrew 2**128") in a.notes
