#include "jinja/render.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "jinja/runtime.h"

namespace hearth::jinja {
namespace {

struct Frame {
  std::vector<std::pair<std::string, Value>> vars;
  std::shared_ptr<Frame> parent;

  const Value* lookup(const std::string& name) const {
    for (const Frame* f = this; f; f = f->parent.get())
      for (const auto& [k, v] : f->vars)
        if (k == name) return &v;
    return nullptr;
  }
  void set(const std::string& name, Value v) {
    for (auto& [k, x] : vars)
      if (k == name) {
        x = std::move(v);
        return;
      }
    vars.emplace_back(name, std::move(v));
  }
};
using FramePtr = std::shared_ptr<Frame>;

enum class Flow { Normal, Break, Continue };

[[noreturn]] void limit_error(const std::string& msg) { throw TemplateError(TemplateError::Kind::limit, msg); }

std::string python_format(const std::string& fmt, const Value& args) {
  std::vector<Value> vals = args.is_tuple() ? args.items() : std::vector<Value>{args};
  std::string out;
  size_t k = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) runtime_error("incomplete format");
    char c = fmt[i];
    if (c == '%') {
      out += '%';
      continue;
    }
    if (k >= vals.size()) runtime_error("not enough arguments for format string");
    const Value& v = vals[k++];
    if (c == 's') out += v.to_string();
    else if (c == 'r') out += v.repr();
    else if (c == 'd' || c == 'i') {
      if (!v.is_number()) runtime_error("%d format: a number is required, not " + v.type_name());
      out += std::to_string(v.is_float() ? static_cast<int64_t>(v.as_float()) : v.as_int());
    } else if (c == 'f') {
      if (!v.is_number()) runtime_error("%f format: a number is required");
      char b[64];
      std::snprintf(b, sizeof b, "%f", v.to_double());
      out += b;
    } else {
      runtime_error(std::string("unsupported format character '") + c + "'");
    }
  }
  if (k < vals.size()) runtime_error("not all arguments converted during string formatting");
  return out;
}

class Renderer : public Runtime {
 public:
  Renderer(const Options& opt, const std::function<std::chrono::system_clock::time_point()>& now)
      : opt_(opt), now_(now) {}
  ~Renderer() override {
    // Break namespace chains iteratively so destruction never recurses deeply.
    for (auto& ns : namespaces_) ns.mutable_entries().clear();
  }

  std::string run(const Body& body, const Value& context) {
    auto root = std::make_shared<Frame>();
    if (context.is_mapping())
      for (const auto& [k, v] : context.entries())
        if (k.is_string()) root->set(k.str(), v);
    globals_ = std::make_shared<Frame>();
    install_globals(*globals_);
    root->parent = globals_;
    std::string out;
    out_ = &out;
    exec(body, root);
    return out;
  }

  // ---- Runtime -----------------------------------------------------------------------------
  Value call(const Value& callee, CallArgs& args) override {
    if (!callee.is_function()) {
      if (callee.is_undefined() && !callee.undefined_hint().empty()) runtime_error(callee.undefined_hint());
      runtime_error("'" + callee.type_name() + "' object is not callable");
    }
    step();
    return callee.fn().fn(args);
  }
  Value filter(const std::string& name, const Value& v, CallArgs& args) override {
    step();
    bool found = false;
    Value r = builtin_filter(*this, name, v, args, found);
    if (!found) runtime_error("No filter named '" + name + "'.");
    return r;
  }
  bool test(const std::string& name, const Value& v, CallArgs& args) override {
    bool found = false;
    bool r = builtin_test(*this, name, v, args, found);
    if (!found) runtime_error("No test named '" + name + "'.");
    return r;
  }
  void step() override {
    if (++steps_ > opt_.max_steps) limit_error("template exceeded its step limit (" + std::to_string(opt_.max_steps) + ")");
  }

 private:
  void write(std::string_view s) {
    if (out_->size() + s.size() > opt_.max_output_bytes)
      limit_error("template output exceeded " + std::to_string(opt_.max_output_bytes) + " bytes");
    out_->append(s);
  }

  // Renders `body` into a fresh buffer (macros, set blocks, filter blocks).
  std::string capture(const Body& body, const FramePtr& frame) {
    std::string buf;
    std::string* saved = out_;
    out_ = &buf;
    try {
      exec(body, frame);
    } catch (...) {
      out_ = saved;
      throw;
    }
    out_ = saved;
    return buf;
  }

  struct DepthGuard {
    DepthGuard(Renderer& r) : r(r) {
      if (++r.depth_ > r.opt_.max_depth) {
        --r.depth_;
        limit_error("template recursion deeper than " + std::to_string(r.opt_.max_depth));
      }
    }
    ~DepthGuard() { --r.depth_; }
    Renderer& r;
  };

  void install_globals(Frame& g) {
    g.set("range", Value::function("range", [this](CallArgs& a) {
      int64_t start = 0, stop, stepv = 1;
      auto num = [](const Value& v) {
        if (!v.is_int() && !v.is_bool()) runtime_error("range() arguments must be integers, not " + v.type_name());
        return v.as_int();
      };
      if (a.pos.size() == 1) stop = num(a.pos[0]);
      else if (a.pos.size() == 2 || a.pos.size() == 3) {
        start = num(a.pos[0]);
        stop = num(a.pos[1]);
        if (a.pos.size() == 3) stepv = num(a.pos[2]);
      } else runtime_error("range expected 1 to 3 arguments");
      if (stepv == 0) runtime_error("range() arg 3 must not be zero");
      List out;
      for (int64_t i = start; stepv > 0 ? i < stop : i > stop; i += stepv) {
        step();
        if (out.size() >= 1'000'000) limit_error("range() too large");
        out.emplace_back(i);
      }
      return Value::list(std::move(out));
    }));
    g.set("dict", Value::function("dict", [](CallArgs& a) {
      Dict d;
      if (!a.pos.empty()) {
        if (a.pos[0].is_mapping()) d = a.pos[0].entries();
        else
          for (const auto& kv : iterate(a.pos[0])) {
            if (!kv.is_list() || kv.items().size() != 2) runtime_error("dict() sequence elements must be pairs");
            d.emplace_back(kv.items()[0], kv.items()[1]);
          }
      }
      for (const auto& [k, v] : a.kw) {
        bool replaced = false;
        for (auto& e : d)
          if (e.first.is_string() && e.first.str() == k) e.second = v, replaced = true;
        if (!replaced) d.emplace_back(Value(k), v);
      }
      return Value::dict(std::move(d));
    }));
    g.set("namespace", Value::function("namespace", [this](CallArgs& a) {
      Dict d;
      if (!a.pos.empty() && a.pos[0].is_mapping()) d = a.pos[0].entries();
      for (const auto& [k, v] : a.kw) d.emplace_back(Value(k), v);
      Value ns = Value::ns(std::move(d));
      namespaces_.push_back(ns);
      return ns;
    }));
    g.set("raise_exception", Value::function("raise_exception", [](CallArgs& a) -> Value {
      throw TemplateError(TemplateError::Kind::raised, a.get_or(0, "message", Value("")).to_string());
    }));
    g.set("strftime_now", Value::function("strftime_now", [this](CallArgs& a) {
      std::string fmt = a.get_or(0, "format", Value("")).to_string();
      if (fmt.size() > 256) runtime_error("strftime_now format too long");
      auto tp = now_ ? now_() : std::chrono::system_clock::now();
      std::time_t t = std::chrono::system_clock::to_time_t(tp);
      std::tm tm{};
      if (now_) gmtime_r(&t, &tm);
      else localtime_r(&t, &tm);
      char buf[1024];
      size_t n = fmt.empty() ? 0 : std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
      return Value(std::string(buf, n));
    }));
    g.set("joiner", Value::function("joiner", [](CallArgs& a) {
      std::string sep = a.get_or(0, "sep", Value(", ")).to_string();
      auto used = std::make_shared<bool>(false);
      return Value::function("joiner", [sep, used](CallArgs&) {
        if (!*used) {
          *used = true;
          return Value(std::string());
        }
        return Value(sep);
      });
    }));
  }

  // ---- statements --------------------------------------------------------------------------
  Flow exec(const Body& body, const FramePtr& frame) {
    for (const auto& s : body) {
      Flow f = exec_one(*s, frame);
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  void assign_targets(Frame& f, const std::vector<std::string>& targets, const Value& v) {
    if (targets.size() == 1) {
      f.set(targets[0], v);
      return;
    }
    std::vector<Value> items = iterate(v);
    if (items.size() != targets.size())
      runtime_error("cannot unpack " + std::to_string(items.size()) + " values into " + std::to_string(targets.size()) + " names");
    for (size_t i = 0; i < targets.size(); ++i) f.set(targets[i], items[i]);
  }

  // Depth of a value including namespaces reachable from it; throws past the limit and on cycles.
  int ns_depth(const Value& v, const Value& target, int level) {
    if (level > Value::kMaxDepth) limit_error("value nested too deeply");
    if (v.is_namespace()) {
      if (v.equals(target)) runtime_error("cannot store a namespace inside itself");
      int d = 0;
      for (const auto& [k, x] : v.entries()) d = std::max(d, ns_depth(x, target, level + 1) + 1);
      return d;
    }
    if (v.is_list()) {
      int d = v.depth();
      for (const auto& x : v.items())
        if (x.is_namespace() || x.is_list() || x.is_dict()) d = std::max(d, ns_depth(x, target, level + 1) + 1);
      return d;
    }
    if (v.is_dict()) {
      int d = v.depth();
      for (const auto& [k, x] : v.entries())
        if (x.is_namespace() || x.is_list() || x.is_dict()) d = std::max(d, ns_depth(x, target, level + 1) + 1);
      return d;
    }
    return 0;
  }

  Flow exec_one(const Stmt& s, const FramePtr& frame) {
    switch (s.k) {
      case Stmt::K::Text: write(s.text); return Flow::Normal;
      case Stmt::K::Output: {
        Value v = eval(*s.expr, frame);
        strict_check(v);
        step();
        write(v.to_string());
        return Flow::Normal;
      }
      case Stmt::K::If:
        for (size_t i = 0; i < s.conds.size(); ++i)
          if (truthy(eval(*s.conds[i], frame))) return exec(s.bodies[i], frame);
        return exec(s.else_body, frame);
      case Stmt::K::For: return exec_for(s, frame);
      case Stmt::K::Break: return Flow::Break;
      case Stmt::K::Continue: return Flow::Continue;
      case Stmt::K::Set: {
        Value v = eval(*s.expr, frame);
        if (s.attr_target) {
          const Value* ns = frame->lookup(s.targets[0]);
          if (!ns || !ns->is_namespace()) runtime_error("cannot assign attribute on non-namespace object '" + s.targets[0] + "'");
          ns_depth(v, *ns, 0);
          auto& entries = ns->mutable_entries();
          for (auto& [k, x] : entries)
            if (k.is_string() && k.str() == s.targets[1]) {
              x = std::move(v);
              return Flow::Normal;
            }
          entries.emplace_back(Value(s.targets[1]), std::move(v));
          return Flow::Normal;
        }
        assign_targets(*frame, s.targets, v);
        return Flow::Normal;
      }
      case Stmt::K::SetBlock: {
        auto inner = std::make_shared<Frame>();
        inner->parent = frame;
        Value v(capture(s.bodies[0], inner));
        if (s.expr) v = apply_filter_chain(*s.expr, v, frame);
        frame->set(s.targets[0], v);
        return Flow::Normal;
      }
      case Stmt::K::Macro: frame->set(s.text, make_macro(s, frame)); return Flow::Normal;
      case Stmt::K::CallBlock: {
        std::weak_ptr<Frame> weak = frame;
        const Stmt* sp = &s;
        Value caller = Value::function("caller", [this, sp, weak](CallArgs& a) {
          auto def = weak.lock();
          if (!def) runtime_error("caller used outside of its call block");
          DepthGuard g(*this);
          auto f = std::make_shared<Frame>();
          f->parent = def;
          bind_params(*f, sp->params, a, def, "caller");
          return Value(capture(sp->bodies[0], f));
        });
        Value r = eval_call(*s.expr, frame, &caller);
        write(r.to_string());
        return Flow::Normal;
      }
      case Stmt::K::FilterBlock: {
        auto inner = std::make_shared<Frame>();
        inner->parent = frame;
        Value v(capture(s.bodies[0], inner));
        write(apply_filter_chain(*s.expr, v, frame).to_string());
        return Flow::Normal;
      }
      case Stmt::K::With: {
        auto inner = std::make_shared<Frame>();
        inner->parent = frame;
        for (const auto& [name, e] : s.params) inner->set(name, eval(*e, frame));
        return exec(s.bodies[0], inner);
      }
    }
    return Flow::Normal;
  }

  Flow exec_for(const Stmt& s, const FramePtr& frame) {
    Value iterable = eval(*s.expr, frame);
    strict_check(iterable);
    std::vector<Value> items;
    if (iterable.is_dict()) {
      for (const auto& kv : iterable.entries()) items.push_back(kv.first);
    } else {
      items = iterate(iterable);
    }
    auto loop_frame = std::make_shared<Frame>();
    loop_frame->parent = frame;
    if (s.cond) {
      std::vector<Value> kept;
      for (const auto& it : items) {
        step();
        assign_targets(*loop_frame, s.targets, it);
        if (eval(*s.cond, loop_frame).truthy()) kept.push_back(it);
      }
      items = std::move(kept);
    }
    if (items.empty()) return exec(s.else_body, frame);
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      step();
      const Value& item = items[static_cast<size_t>(i)];
      assign_targets(*loop_frame, s.targets, item);
      Dict loop;
      loop.reserve(12);
      loop.emplace_back(Value("index"), Value(i + 1));
      loop.emplace_back(Value("index0"), Value(i));
      loop.emplace_back(Value("revindex"), Value(n - i));
      loop.emplace_back(Value("revindex0"), Value(n - i - 1));
      loop.emplace_back(Value("first"), Value(i == 0));
      loop.emplace_back(Value("last"), Value(i == n - 1));
      loop.emplace_back(Value("length"), Value(n));
      loop.emplace_back(Value("depth"), Value(int64_t{1}));
      loop.emplace_back(Value("depth0"), Value(int64_t{0}));
      if (i > 0) loop.emplace_back(Value("previtem"), items[static_cast<size_t>(i - 1)]);
      if (i + 1 < n) loop.emplace_back(Value("nextitem"), items[static_cast<size_t>(i + 1)]);
      loop.emplace_back(Value("cycle"), Value::function("cycle", [i](CallArgs& a) {
        if (a.pos.empty()) runtime_error("no items for cycling given");
        return a.pos[static_cast<size_t>(i) % a.pos.size()];
      }));
      loop_frame->set("loop", Value::dict(std::move(loop)));
      Flow f = exec(s.bodies[0], loop_frame);
      if (f == Flow::Break) break;
    }
    return Flow::Normal;
  }

  void bind_params(Frame& f, const std::vector<std::pair<std::string, ExprPtr>>& params, CallArgs& a,
                   const FramePtr& def_frame, const std::string& name) {
    size_t np = params.size();
    List varargs;
    for (size_t i = 0; i < a.pos.size(); ++i) {
      if (i < np) f.set(params[i].first, a.pos[i]);
      else varargs.push_back(a.pos[i]);
    }
    Dict kwargs;
    for (const auto& [k, v] : a.kw) {
      bool is_param = false;
      for (size_t i = 0; i < np; ++i)
        if (params[i].first == k) {
          if (i < a.pos.size()) runtime_error("macro '" + name + "' got multiple values for argument '" + k + "'");
          f.set(k, v);
          is_param = true;
        }
      if (!is_param) {
        if (k == "caller") f.set("caller", v);
        else kwargs.emplace_back(Value(k), v);
      }
    }
    for (size_t i = a.pos.size(); i < np; ++i) {
      bool given = false;
      for (const auto& [k, v] : a.kw) given |= k == params[i].first;
      if (given) continue;
      // Defaults are evaluated in the macro's own frame so they can refer to earlier parameters.
      if (params[i].second) f.set(params[i].first, eval(*params[i].second, std::shared_ptr<Frame>(std::shared_ptr<Frame>{}, &f)));
      else f.set(params[i].first, Value::undefined("parameter '" + params[i].first + "' was not provided"));
    }
    (void)def_frame;
    f.set("varargs", Value::list(std::move(varargs), /*tuple=*/true));
    f.set("kwargs", Value::dict(std::move(kwargs)));
  }

  Value make_macro(const Stmt& s, const FramePtr& frame) {
    std::weak_ptr<Frame> weak = frame;
    const Stmt* sp = &s;
    return Value::function(s.text, [this, sp, weak](CallArgs& a) {
      auto def = weak.lock();
      if (!def) runtime_error("macro '" + sp->text + "' called after its scope ended");
      DepthGuard g(*this);
      auto f = std::make_shared<Frame>();
      f->parent = def;
      bind_params(*f, sp->params, a, def, sp->text);
      return Value(capture(sp->bodies[0], f));
    });
  }

  // ---- expressions -------------------------------------------------------------------------
  Value eval(const Expr& e, const FramePtr& frame) {
    switch (e.k) {
      case Expr::K::Literal: return e.literal;
      case Expr::K::Name:
      case Expr::K::Attr:
      case Expr::K::Item: {
        Value v = eval_maybe_undefined(e, frame);
        strict_check(v);
        return v;
      }
      case Expr::K::List:
      case Expr::K::Tuple: {
        List items;
        for (const auto& k : e.kids) items.push_back(eval(*k, frame));
        return Value::list(std::move(items), e.k == Expr::K::Tuple);
      }
      case Expr::K::Dict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          Value k = eval(*e.kids[i], frame);
          Value v = eval(*e.kids[i + 1], frame);
          bool replaced = false;
          for (auto& kv : d)
            if (kv.first.equals(k)) kv.second = v, replaced = true;
          if (!replaced) d.emplace_back(std::move(k), std::move(v));
        }
        return Value::dict(std::move(d));
      }
      case Expr::K::Slice: {
        Value obj = eval(*e.kids[0], frame);
        auto part = [&](int i) { return e.kids[i] ? eval(*e.kids[i], frame) : Value::none(); };
        return slice(obj, part(1), part(2), part(3));
      }
      case Expr::K::Call: return eval_call(e, frame, nullptr);
      case Expr::K::Filter: {
        // `default` exists to replace an undefined value, so its operand may be one.
        const bool takes_undefined = e.name == "default" || e.name == "d";
        Value v = !e.kids[0] ? Value() : takes_undefined ? eval_maybe_undefined(*e.kids[0], frame) : eval(*e.kids[0], frame);
        return apply_filter(e, v, frame);
      }
      case Expr::K::Test: {
        Value v = eval_maybe_undefined(*e.kids[0], frame);
        CallArgs a = eval_args(e, frame, 1);
        return Value(test(e.name, v, a));
      }
      case Expr::K::Neg:
      case Expr::K::Pos: {
        Value v = eval(*e.kids[0], frame);
        if (!v.is_number()) runtime_error("bad operand type for unary " + std::string(e.k == Expr::K::Neg ? "-" : "+") + ": '" + v.type_name() + "'");
        if (e.k == Expr::K::Pos) return v.is_bool() ? Value(v.as_int()) : v;
        if (v.is_float()) return Value(-v.as_float());
        if (v.as_int() == INT64_MIN) runtime_error("integer overflow");
        return Value(-v.as_int());
      }
      case Expr::K::Not: return Value(!truthy(eval(*e.kids[0], frame)));
      case Expr::K::And: {
        Value a = eval(*e.kids[0], frame);
        return truthy(a) ? eval(*e.kids[1], frame) : a;
      }
      case Expr::K::Or: {
        Value a = eval(*e.kids[0], frame);
        return truthy(a) ? a : eval(*e.kids[1], frame);
      }
      case Expr::K::Cond: {
        if (truthy(eval(*e.kids[0], frame))) return eval(*e.kids[1], frame);
        if (e.kids[2]) return eval(*e.kids[2], frame);
        // Jinja2 gives a missing else branch the plain Undefined even under StrictUndefined.
        if (opt_.strict_undefined) return Value();
        return Value::undefined("the inline if-expression evaluated to false and no else section was defined");
      }
      case Expr::K::Compare: {
        Value left = eval(*e.kids[0], frame);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.kids[i + 1], frame);
          if (!compare_op(e.ops[i], left, right)) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case Expr::K::Binary: return binary(e.name, eval(*e.kids[0], frame), eval(*e.kids[1], frame));
    }
    return Value();
  }

  static bool contains(const Value& container, const Value& item) {
    if (container.is_string()) {
      if (!item.is_string()) runtime_error("'in <string>' requires string as left operand, not " + item.type_name());
      return container.str().find(item.str()) != std::string::npos;
    }
    if (container.is_mapping()) return container.find(item) != nullptr;
    if (container.is_list()) {
      for (const auto& x : container.items())
        if (x.equals(item)) return true;
      return false;
    }
    if (container.is_undefined()) return false;
    runtime_error("argument of type '" + container.type_name() + "' is not iterable");
  }

  static bool compare_op(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return a.equals(b);
    if (op == "!=") return !a.equals(b);
    if (op == "in") return contains(b, a);
    if (op == "notin") return !contains(b, a);
    int c = compare(a, b);
    if (op == "<") return c < 0;
    if (op == ">") return c > 0;
    if (op == "<=") return c <= 0;
    return c >= 0;
  }

  Value repeat(const Value& seq, int64_t n) {
    if (n <= 0) return seq.is_string() ? Value(std::string()) : Value::list();
    size_t unit = seq.is_string() ? seq.str().size() : seq.items().size();
    if (unit != 0 && static_cast<uint64_t>(n) > opt_.max_output_bytes / unit) limit_error("repetition result too large");
    if (seq.is_string()) {
      std::string out;
      for (int64_t i = 0; i < n; ++i) out += seq.str();
      return Value(out);
    }
    List out;
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
    return Value::list(std::move(out));
  }

  Value binary(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") {
      std::string s = a.to_string() + b.to_string();
      if (s.size() > opt_.max_output_bytes) limit_error("string too large");
      return Value(std::move(s));
    }
    auto type_error = [&]() -> Value {
      if (a.is_undefined() && !a.undefined_hint().empty()) runtime_error(a.undefined_hint());
      if (b.is_undefined() && !b.undefined_hint().empty()) runtime_error(b.undefined_hint());
      runtime_error("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
    };
    if (op == "+") {
      if (a.is_string() && b.is_string()) {
        if (a.str().size() + b.str().size() > opt_.max_output_bytes) limit_error("string too large");
        if (a.is_markup() || b.is_markup())
          return Value::markup((a.is_markup() ? a.str() : html_escape(a.str())) + (b.is_markup() ? b.str() : html_escape(b.str())));
        return Value(a.str() + b.str());
      }
      if (a.is_list() && b.is_list()) {
        List out = a.items();
        out.insert(out.end(), b.items().begin(), b.items().end());
        return Value::list(std::move(out), a.is_tuple() && b.is_tuple());
      }
    }
    if (op == "*") {
      if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(a, b.as_int());
      if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(b, a.as_int());
    }
    if (op == "%" && a.is_string()) return Value(python_format(a.str(), b));
    if (!a.is_number() || !b.is_number()) return type_error();
    bool ints = !a.is_float() && !b.is_float();
    if (ints) {
      int64_t x = a.as_int(), y = b.as_int(), r = 0;
      if (op == "+") {
        if (__builtin_add_overflow(x, y, &r)) runtime_error("integer overflow");
        return Value(r);
      }
      if (op == "-") {
        if (__builtin_sub_overflow(x, y, &r)) runtime_error("integer overflow");
        return Value(r);
      }
      if (op == "*") {
        if (__builtin_mul_overflow(x, y, &r)) runtime_error("integer overflow");
        return Value(r);
      }
      if (op == "/") {
        if (y == 0) runtime_error("division by zero");
        return Value(static_cast<double>(x) / static_cast<double>(y));
      }
      if (op == "//" || op == "%") {
        if (y == 0) runtime_error("integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) runtime_error("integer overflow");
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) --q, m += y;
        return Value(op == "//" ? q : m);
      }
      if (op == "**") {
        if (y < 0) return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
        int64_t acc = 1;
        for (int64_t i = 0; i < y; ++i) {
          if (__builtin_mul_overflow(acc, x, &acc)) runtime_error("integer overflow");
          if (acc == 0 || acc == 1) break;
          step();
        }
        return Value(acc);
      }
    }
    double x = a.to_double(), y = b.to_double();
    if (op == "+") return Value(x + y);
    if (op == "-") return Value(x - y);
    if (op == "*") return Value(x * y);
    if (op == "/") {
      if (y == 0) runtime_error("float division by zero");
      return Value(x / y);
    }
    if (op == "//" || op == "%") {
      if (y == 0) runtime_error("float modulo");
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(op == "//" ? std::floor(x / y) : m);
    }
    if (op == "**") return Value(std::pow(x, y));
    return type_error();
  }

  CallArgs eval_args(const Expr& e, const FramePtr& frame, size_t first) {
    CallArgs a;
    for (size_t i = first; i < e.kids.size(); ++i) a.pos.push_back(eval(*e.kids[i], frame));
    for (const auto& [k, v] : e.kwargs) a.kw.emplace_back(k, eval(*v, frame));
    return a;
  }

  Value eval_call(const Expr& e, const FramePtr& frame, const Value* caller) {
    Value callee = eval(*e.kids[0], frame);
    CallArgs a = eval_args(e, frame, 1);
    if (caller) a.kw.emplace_back("caller", *caller);
    return call(callee, a);
  }

  // A name, member or item as it is, undefined included (with a hint saying what is missing).
  Value eval_maybe_undefined(const Expr& e, const FramePtr& frame) {
    switch (e.k) {
      case Expr::K::Name:
        if (const Value* v = frame->lookup(e.name)) return *v;
        return Value::undefined("'" + e.name + "' is undefined");
      case Expr::K::Attr: return get_attr(eval(*e.kids[0], frame), e.name);
      case Expr::K::Item: return get_item(eval(*e.kids[0], frame), eval(*e.kids[1], frame));
      default: return eval(e, frame);
    }
  }

  // Under strict_undefined, using an undefined value is an error that says what was missing
  // (every missing name, member or item carries such a hint).
  void strict_check(const Value& v) const {
    if (opt_.strict_undefined && v.is_undefined() && !v.undefined_hint().empty()) runtime_error(v.undefined_hint());
  }

  bool truthy(const Value& v) const {
    strict_check(v);
    return v.truthy();
  }

  Value apply_filter(const Expr& e, const Value& v, const FramePtr& frame) {
    CallArgs a = eval_args(e, frame, 1);
    return filter(e.name, v, a);
  }

  // Filter chains whose innermost operand is empty (filter blocks, `set x | f` blocks).
  Value apply_filter_chain(const Expr& e, const Value& input, const FramePtr& frame) {
    Value v = e.kids[0] ? apply_filter_chain(*e.kids[0], input, frame) : input;
    return apply_filter(e, v, frame);
  }

  const Options& opt_;
  const std::function<std::chrono::system_clock::time_point()>& now_;
  std::string* out_ = nullptr;
  FramePtr globals_;
  std::vector<Value> namespaces_;
  uint64_t steps_ = 0;
  int depth_ = 0;
};

}  // namespace

std::string render_body(const Body& body, const Value& context, const Options& opt,
                        const std::function<std::chrono::system_clock::time_point()>& now) {
  Renderer r(opt, now);
  try {
    return r.run(body, context);
  } catch (const TemplateError&) {
    throw;
  } catch (const Error& e) {
    // Value construction limits surface as hearth::Error; keep one error type for callers.
    throw TemplateError(e.code() == Errc::out_of_range ? TemplateError::Kind::limit : TemplateError::Kind::runtime, e.what());
  }
}

}  // namespace hearth::jinja
