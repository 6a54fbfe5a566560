# Regenerates language_cases.json: each template rendered by Python Jinja2 configured like
# transformers (sandboxed, trim_blocks, lstrip_blocks, loopcontrols).
# Run: python3 gen_language_cases.py > language_cases.json
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env.filters['tojson'] = tojson
class E(Exception): pass
def rexc(m): raise E(m)
env.globals['raise_exception'] = rexc
cases = [
 # (name, template, context)
 ("text_only", "hello world", {}),
 ("var_int", "{{ 1 }} {{ 1.0 }} {{ 2.5e3 }} {{ 1e20 }} {{ 0.0001 }} {{ 1/3 }}", {}),
 ("none_true_false", "{{ none }} {{ true }} {{ False }} {{ None }}", {}),
 ("undefined_prints_empty", "[{{ missing }}]", {}),
 ("list_repr", "{{ [1, 'a', none, true, 1.5] }}", {}),
 ("dict_repr", "{{ {'a': 1, \"b'\": [2]} }}", {}),
 ("tuple_repr", "{{ (1,) }} {{ (1, 2) }}", {}),
 ("string_escapes", "{{ 'a\\nb\\t\\'c\\'' }}|{{ \"\\u00e9\" }}", {}),
 ("arith", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1.5 + 1 }}", {}),
 ("concat_tilde", "{{ 'a' ~ 1 ~ none ~ true }}", {}),
 ("string_mul", "{{ 'ab' * 3 }}{{ [1] * 2 }}", {}),
 ("compare_chain", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ [1,2] == [1,2] }}", {}),
 ("in_ops", "{{ 'b' in 'abc' }} {{ 2 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}", {}),
 ("and_or_values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }}|{{ not 0 }}", {}),
 ("ternary", "{{ 'y' if x else 'n' }} {{ 'y' if not x else 'n' }}[{{ 'z' if false }}]", {"x": 1}),
 ("if_elif_else", "{% for i in [1,2,3] %}{% if i == 1 %}one{% elif i == 2 %}two{% else %}many{% endif %}{% endfor %}", {}),
 ("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
 ("for_prev_next", "{% for x in [1,2,3] %}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }} {% endfor %}", {}),
 ("for_cycle", "{% for x in range(5) %}{{ loop.cycle('a','b') }}{% endfor %}", {}),
 ("for_else", "{% for x in [] %}x{% else %}empty{% endfor %}", {}),
 ("for_filter", "{% for x in range(10) if x is odd %}{{ x }}{{ loop.length }},{% endfor %}", {}),
 ("for_unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for a, b in [[1,2],[3,4]] %}{{ a + b }}{% endfor %}", {"d": {"z": 1, "a": 2}}),
 ("for_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"z": 1, "a": 2}}),
 ("break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
 ("loop_scope", "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", {}),
 ("namespace_set", "{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", {}),
 ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", {}),
 ("set_block", "{% set x %}  hi {{ 1 }}{% endset %}[{{ x }}]", {}),
 ("set_block_filter", "{% set x | upper %}hi{% endset %}{{ x }}", {}),
 ("macro_defaults", "{% macro m(a, b='B', c=none) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 2) }}|{{ m(1, c=3) }}", {}),
 ("macro_varargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, x=3) }}", {}),
 ("macro_recursion", "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(4) }}", {}),
 ("call_block", "{% macro wrap(t) %}<{{ t }}>{{ caller() }}</{{ t }}>{% endmacro %}{% call wrap('b') %}inner{% endcall %}", {}),
 ("call_block_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1,2]) %}[{{ v }}]{% endcall %}", {}),
 ("filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}", {}),
 ("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", {}),
 ("raw_block", "{% raw %}{{ not evaluated }}{% endraw %}", {}),
 ("comment", "a{# comment #}b", {}),
 ("ws_minus", "a  {{- 'b' -}}  c {%- if true -%}  d  {%- endif -%}  e", {}),
 ("trim_blocks", "{% if true %}\nx\n{% endif %}\ny", {}),
 ("lstrip_blocks", "  {% if true %}\n  x\n  {% endif %}\n", {}),
 ("lstrip_not_for_vars", "  {{ 'x' }}\n", {}),
 ("plus_disables_lstrip", "  {%+ if true %}x{% endif %}", {}),
 ("comment_lstrip_trim", "a\n  {# c #}\nb", {}),
 ("slicing", "{{ [1,2,3,4][1:3] }}{{ [1,2,3,4][::-1] }}{{ 'hello'[1:] }}{{ 'hello'[::2] }}{{ 'héllo'[-2:] }}{{ [1,2,3][-1] }}", {}),
 ("str_methods", "{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b,c'.split(',') }}|{{ 'a b  c'.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'abc'.startswith(('x','a')) }}|{{ 'abc'.endswith('bc') }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'aaa'.replace('a','b',2) }}|{{ 'abc'.find('c') }}|{{ 'abcb'.count('b') }}|{{ '-'.join(['a','b']) }}|{{ 'a b'.rsplit(' ', 1) }}", {}),
 ("unicode_strip_length", "[{{ '\u3000 é \u00a0'.strip() }}]{{ 'héllo'|length }}{{ '日本'|length }}", {}),
 ("dict_methods", "{{ d.get('a') }}{{ d.get('x', 5) }}{{ d.get('x') }}{{ d.keys()|list }}{{ d.values()|list }}{{ d['a'] }}{{ d.a }}", {"d": {"a": 1}}),
 ("attr_missing", "[{{ d.nope }}][{{ d['nope'] }}]{{ d.nope is defined }}", {"d": {"a": 1}}),
 ("filters_basic", "{{ [3,1,2]|sort }}{{ [3,1,2]|sort(reverse=true) }}{{ 'ab'|upper }}{{ ' a '|trim }}{{ [1,2]|join(',') }}{{ [1,2,3]|first }}{{ [1,2,3]|last }}{{ [1,2,3]|length }}{{ [1,2]|reverse|list }}{{ [1,1,2]|unique|list }}", {}),
 ("filters_default", "{{ x|default('d') }}{{ ''|default('d') }}{{ ''|default('d', true) }}{{ none|d('n') }}", {}),
 ("filters_num", "{{ '42'|int }}{{ 'x'|int }}{{ 3.7|int }}{{ '1.5'|float }}{{ -3|abs }}{{ 2.567|round(1) }}{{ [1,2,3]|sum }}{{ [3,1,2]|min }}{{ [3,1,2]|max }}", {}),
 ("filters_select", "{{ users|selectattr('active')|map(attribute='name')|join(',') }}|{{ users|rejectattr('active')|map(attribute='name')|list }}|{{ [1,2,3,4]|select('even')|list }}|{{ [1,2,3]|reject('equalto', 2)|list }}|{{ ['a','b']|map('upper')|list }}|{{ users|selectattr('name', 'equalto', 'b')|list|length }}", {"users": [{"name": "a", "active": True}, {"name": "b", "active": False}]}),
 ("filters_dict", "{{ d|dictsort }}{{ d|dictsort(by='value') }}{% for k, v in d|items %}{{ k }}{{ v }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
 ("filters_sort_attr", "{{ xs|sort(attribute='n')|map(attribute='n')|list }}", {"xs": [{"n": 3}, {"n": 1}, {"n": 2}]}),
 ("filter_string_list", "{{ 1|string ~ 'x' }}{{ 'ab'|list }}{{ 'hello world'|capitalize }}{{ 'a b'|title }}{{ 'aXa'|replace('a', 'b') }}", {}),
 ("filter_indent", "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}", {}),
 ("tojson", "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ 'é'|tojson }}|{{ 'é'|tojson(ensure_ascii=True) }}|{{ d|tojson(sort_keys=true, separators=(',', ':')) }}|{{ [1.0, none, true, 'a\"\\n']|tojson }}", {"d": {"z": [1, {}], "a": {"x": []}}}),
 ("tests", "{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 's' is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 's' is sequence }}{{ 1 is number }}{{ 1 is integer }}{{ 1.0 is float }}{{ true is boolean }}{{ true is true }}{{ 0 is false }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 1 is eq 1 }}{{ 2 is gt 1 }}{{ 'a' is in 'abc' }}{{ x is not none }}", {"x": 1}),
 ("python_format", "{{ '%s-%d' % ('a', 3) }}", {}),
 ("string_compare_unicode", "{{ 'é' > 'z' }}", {}),
 ("int_float_render", "{{ 10 / 2 }} {{ 3 * 1.0 }} {{ 2 ** -1 }} {{ 1e16 }} {{ 123456789.0 }}", {}),
 ("nested_data", "{% for m in messages %}{{ m.role }}:{{ m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}", {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}),
 ("dict_literal_items", "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}{{ v }}{% endfor %}", {}),
 ("joiner", "{% set j = joiner('|') %}{% for x in [1,2,3] %}{{ j() }}{{ x }}{% endfor %}", {}),
 ("float_floor_mod", "{{ 7.5 // 2 }} {{ -7.5 % 2 }}", {}),
 ("is_test_no_parens", "{{ 'abc' is string and 1 is number }}", {}),
 ("filter_precedence", "{{ -1|abs }} {{ 1 + [1,2]|length }} {{ 'a' ~ 'b'|upper }}", {}),
 ("getitem_dot_int", "{{ xs.0 }}{{ xs[1] }}", {"xs": [5, 6]}),
 ("macro_sees_globals", "{% set g = 'G' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}", {}),
 ("range_forms", "{{ range(3)|list }}{{ range(1, 7, 2)|list }}{{ range(3, 0, -1)|list }}", {}),
 ("safe_concat_escapes", "{{ 'x'|safe + '<a>' }}", {}),
]
err_cases = [
 ("raise_exception", "{% if true %}{{ raise_exception('boom: ' ~ 1) }}{% endif %}", {}),
]
out = []
for name, src, ctx in cases:
    t = env.from_string(src)
    out.append({"name": name, "template": src, "context": ctx, "expected": t.render(**ctx)})
for name, src, ctx in err_cases:
    try:
        env.from_string(src).render(**ctx); raise SystemExit("no error")
    except E as e:
        out.append({"name": name, "template": src, "context": ctx, "error": str(e)})
print(json.dumps(out, ensure_ascii=False, indent=1))
