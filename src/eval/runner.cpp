#include "eval/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>

#include "core/clock.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "eval/cache.h"
#include "eval/custom.h"
#include "eval/functions.h"
#include "eval/dataset.h"
#include "eval/fewshot.h"
#include "eval/filters.h"
#include "eval/judge.h"
#include "eval/metrics.h"
#include "eval/progress.h"
#include "eval/render.h"

namespace hearth::eval {
namespace fs = std::filesystem;
namespace {

struct DocPlan {
  size_t index = 0;
  std::string context;       // the prompt as sent (after the chat template, when one is applied)
  std::string system, user;  // the description, and the examples with the document's text
  bool chat = false;         // context is a rendered chat prompt
  std::vector<std::string> choices;
  Target target;
  std::vector<size_t> ll;    // into the run's loglikelihood requests
  std::vector<size_t> gen;   // into the run's generation requests (one per repeat)
  long roll = -1;            // into the rolling requests
  std::string rolling_text;
};

struct TaskRun {
  TaskConfig cfg;
  std::vector<Doc> docs;
  size_t n_original = 0;
  int n_shot = 0;
  std::unique_ptr<DocRenderer> renderer;
  std::vector<DocPlan> plans;
};

// A run folder's time: ISO 8601 with '-' for ':', which some file systems refuse.
std::string timestamp() { return utc_now_text("%Y-%m-%dT%H-%M-%S"); }

std::string sanitize(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  if (o.size() > 60) o = o.substr(o.size() - 60);
  return o;
}

std::vector<Doc> load_task_split(const TaskConfig& c, const std::string& split) {
  std::vector<Doc> docs = !c.data_files.empty() ? load_data_files(c.dataset_path, c.data_files, split)
                                                : load_split(c.dataset_path, c.dataset_name, split);
  // process_docs applies to every split, as lm-eval's does (few-shot pools included).
  if (!c.process_docs.empty()) {
    const TaskFunction* f = find_task_function("process_docs", c.process_docs, c.name);
    for (auto& d : docs) {
      try {
        d.fields = f->docs(d.fields);
      } catch (const Error& e) {
        fail(Errc::format, d.origin + ": process_docs " + c.process_docs + ": " + e.what());
      } catch (const std::exception& e) {  // a field of the wrong type (json) or a bad number
        fail(Errc::format, d.origin + ": process_docs " + c.process_docs + ": " + e.what());
      }
    }
  }
  return docs;
}

void load_docs(TaskRun& tr, const RunOptions& opts) {
  const auto& c = tr.cfg;
  const std::string& split = !c.test_split.empty() ? c.test_split : c.validation_split;
  tr.docs = load_task_split(c, split);
  if (c.safety) validate_safety_docs(tr.docs);
  tr.n_original = tr.docs.size();
  if (opts.limit >= 0 && static_cast<size_t>(opts.limit) < tr.docs.size()) tr.docs.resize(opts.limit);
  tr.n_shot = opts.num_fewshot ? *opts.num_fewshot : c.num_fewshot;
  if (c.output_type == OutputType::loglikelihood_rolling) tr.n_shot = 0;
}

// description + examples + the document's text, the harness's layout.
void plan_contexts(TaskRun& tr) {
  const auto& c = tr.cfg;
  tr.renderer = std::make_unique<DocRenderer>(c);
  std::vector<Doc> pool;
  std::optional<FewshotSampler> sampler;
  if (tr.n_shot > 0) {
    const std::string& eval_split = !c.test_split.empty() ? c.test_split : c.validation_split;
    std::string fs_split = !c.fewshot_split.empty()      ? c.fewshot_split
                           : !c.training_split.empty()   ? c.training_split
                           : !c.validation_split.empty() ? c.validation_split
                                                         : c.test_split;
    pool = load_task_split(c, fs_split);
    sampler.emplace(pool, c.fewshot_sampler, c.fewshot_seed, fs_split == eval_split);
  }
  for (size_t i = 0; i < tr.docs.size(); ++i) {
    const Doc& d = tr.docs[i];
    DocPlan p;
    p.index = i;
    std::string ctx;
    p.system = tr.renderer->description(d);
    if (tr.n_shot > 0) {
      for (const Doc* e : sampler->pick(d, tr.n_shot, i)) {
        // An example whose target is empty adds its text alone, as in the harness.
        Target t = tr.renderer->target(*e);
        ctx += tr.renderer->text(*e);
        if (!t.text.empty()) ctx += c.target_delimiter + t.text + c.fewshot_delimiter;
      }
    }
    if (c.output_type == OutputType::loglikelihood_rolling) {
      p.rolling_text = tr.renderer->target(d).text;
    } else {
      ctx += tr.renderer->text(d);
      p.choices = tr.renderer->choices(d);
      p.target = tr.renderer->target(d);
    }
    p.user = std::move(ctx);
    p.context = p.system + p.user;
    tr.plans.push_back(std::move(p));
  }
}

// --apply-chat-template, as lm-eval: the description is the system message, the examples and the
// document's text one user message, rendered with the generation prompt; a continuation then
// follows it with no target delimiter. Loglikelihood needs the rendered text, which only a
// backend that knows the template (a local model) has.
void apply_chat_templates(std::vector<TaskRun>& runs, Backend& be) {
  for (auto& tr : runs) {
    if (tr.cfg.output_type == OutputType::loglikelihood_rolling) continue;
    const bool scored = tr.cfg.output_type != OutputType::generate_until;
    for (auto& p : tr.plans) {
      const auto rendered = be.render_chat(p.system, p.user);
      if (!rendered && scored)
        fail(Errc::unsupported, "task '" + tr.cfg.name + "': --apply-chat-template with " + output_type_name(tr.cfg.output_type) +
                                    " needs the model's chat template, which only a local model (local:FILE.gguf) exposes; " +
                                    be.id() + " applies its own");
      if (rendered) p.context = *rendered;
      p.chat = true;
    }
    if (scored) tr.cfg.target_delimiter = "";
  }
}

json metric_json(const MetricSpec& m) {
  json j = {{"metric", m.name}, {"aggregation", m.aggregation}, {"higher_is_better", m.higher_is_better}};
  if (m.ignore_case) j["ignore_case"] = true;
  if (m.ignore_punctuation) j["ignore_punctuation"] = true;
  if (!m.regexes_to_ignore.empty()) j["regexes_to_ignore"] = m.regexes_to_ignore;
  if (!m.pattern.empty()) j["pattern"] = m.pattern;
  if (!m.judge_model.empty()) j["judge_model"] = m.judge_model;
  return j;
}

void write_json(const fs::path& p, const ordered_json& j) {
  std::ofstream f(p, std::ios::binary);
  if (!f) fail(Errc::io, p.string() + ": cannot write");
  f << j.dump(2) << "\n";
  if (!f) fail(Errc::io, p.string() + ": write failed");
}

// Every request the run needs, each with its cache key, in the order the plans refer to them.
struct Requests {
  std::vector<LoglikelihoodRequest> ll;
  std::vector<std::string> ll_keys;
  std::vector<GenerateRequest> gen;
  std::vector<std::string> gen_keys;
  std::vector<std::pair<std::string, RollingOptions>> roll;
  std::vector<std::string> roll_keys;
  int64_t total() const { return static_cast<int64_t>(ll.size() + gen.size() + roll.size()); }
};

// How answers are stored, in the cache and in a shard's answers.jsonl.
json ll_value(const LoglikelihoodResult& r) { return json::array({r.logprob, r.is_greedy, r.n_tokens}); }
json roll_value(const RollingResult& r) { return json::array({r.logprob, r.n_tokens, r.sum_sq}); }

struct Answers {
  std::vector<LoglikelihoodResult> ll;
  std::vector<std::string> gen;
  std::vector<RollingResult> roll;
};

// Step 1: the tasks, their documents and each document's prompt.
std::vector<TaskRun> plan_runs(const RunOptions& opts, std::vector<TaskGroup>& groups) {
  std::vector<TaskRun> runs;
  for (const auto& spec : opts.tasks)
    for (auto& cfg : resolve_tasks(spec, opts.env, &groups)) runs.push_back(TaskRun{std::move(cfg)});
  for (auto& tr : runs) {
    load_docs(tr, opts);
    plan_contexts(tr);
    if (opts.shard_count > 1)
      std::erase_if(tr.plans, [&](const DocPlan& p) { return static_cast<int>(p.index % opts.shard_count) != opts.shard_index; });
  }
  return runs;
}

// A chat-only endpoint can still run generation tasks; say which tasks cannot run, up front.
void check_backend_can_run(const std::vector<TaskRun>& runs, Backend& be) {
  std::string names;
  for (const auto& tr : runs)
    if (tr.cfg.output_type != OutputType::generate_until) names += (names.empty() ? "" : ", ") + tr.cfg.name;
  if (!names.empty() && !be.supports_loglikelihood())
    fail(Errc::unsupported, be.loglikelihood_unavailable_reason() + " (cannot run: " + names + ")");
}

// Step 2: the requests each document needs (recorded in its plan as indices).
Requests build_requests(std::vector<TaskRun>& runs, const std::string& model_id, const RunOptions& opts) {
  Requests q;
  for (auto& tr : runs) {
    const auto& c = tr.cfg;
    for (auto& p : tr.plans) {
      auto add_ll = [&](const std::string& cont) {
        p.ll.push_back(q.ll.size());
        q.ll.push_back({p.context, cont, p.chat});
        q.ll_keys.push_back(RequestCache::key(model_id, "loglikelihood", {p.context, cont}));
      };
      switch (c.output_type) {
        case OutputType::multiple_choice:
          for (const auto& ch : p.choices) add_ll(c.target_delimiter + ch);
          break;
        case OutputType::loglikelihood: add_ll(c.target_delimiter + p.target.text); break;
        case OutputType::loglikelihood_rolling: {
          p.roll = static_cast<long>(q.roll.size());
          RollingOptions ro{c.rolling_method, c.rolling_context};
          q.roll_keys.push_back(RequestCache::key(model_id, "rolling", {p.rolling_text, ro.method, ro.context}));
          q.roll.push_back({p.rolling_text, ro});
          break;
        }
        case OutputType::generate_until:
          for (int r = 0; r < c.repeats; ++r) {
            // A chat sends the description as its system message and the rest as the user's.
            GenerateRequest g{p.chat ? p.user : p.context, c.generation, static_cast<uint64_t>(1234 + r), p.chat,
                              p.chat ? p.system : ""};
            p.gen.push_back(q.gen.size());
            json kw = {{"until", g.kwargs.until}, {"max", g.kwargs.max_gen_toks}, {"t", g.kwargs.temperature},
                       {"s", g.kwargs.do_sample}, {"seed", g.seed}, {"chat", g.chat}};
            if (!g.system.empty()) kw["system"] = g.system;
            q.gen_keys.push_back(RequestCache::key(model_id, "generate", {g.context, kw}));
            q.gen.push_back(std::move(g));
          }
          break;
      }
    }
  }
  return q;
}

// Step 3: answers from the cache, then the backend for the rest (cached as they come).
Answers answer(const Requests& q, Backend& be, RequestCache& cache, const RunOptions& opts, RunOutput& out) {
  Answers a{std::vector<LoglikelihoodResult>(q.ll.size()), std::vector<std::string>(q.gen.size()),
            std::vector<RollingResult>(q.roll.size())};
  std::vector<size_t> ll_todo, gen_todo, roll_todo;
  for (size_t i = 0; i < q.ll.size(); ++i) {
    auto v = cache.get(q.ll_keys[i]);
    if (v && v->is_array() && v->size() == 3) a.ll[i] = {(*v)[0].get<double>(), (*v)[1].get<bool>(), (*v)[2].get<int>()};
    else ll_todo.push_back(i);
  }
  for (size_t i = 0; i < q.gen.size(); ++i) {
    auto v = cache.get(q.gen_keys[i]);
    if (v && v->is_string()) a.gen[i] = v->get<std::string>();
    else gen_todo.push_back(i);
  }
  for (size_t i = 0; i < q.roll.size(); ++i) {
    auto v = cache.get(q.roll_keys[i]);
    if (v && v->is_array() && v->size() == 3) a.roll[i] = {(*v)[0].get<double>(), (*v)[1].get<int64_t>(), (*v)[2].get<double>()};
    else roll_todo.push_back(i);
  }
  const int64_t todo = static_cast<int64_t>(ll_todo.size() + gen_todo.size() + roll_todo.size());
  out.requests = q.total();
  out.cached = q.total() - todo;
  if (opts.progress && out.cached > 0)
    std::fprintf(stderr, "eval: %lld of %lld requests answered from the cache\n", static_cast<long long>(out.cached),
                 static_cast<long long>(q.total()));
  Progress bar("eval", todo, opts.progress);
  // Every finished request reports and is the point where a cancelled run stops.
  int64_t done = 0;
  auto report = [&] {
    if (opts.on_progress) opts.on_progress("answering", done, todo);
    if (opts.cancel && opts.cancel->load()) fail(Errc::cancelled, "the evaluation was cancelled");
  };
  report();
  auto tick = [&] {
    bar.tick();
    ++done;
    report();
  };
  if (!ll_todo.empty()) {
    std::vector<LoglikelihoodRequest> batch;
    for (size_t i : ll_todo) batch.push_back(q.ll[i]);
    be.loglikelihood(batch, [&](size_t k, const LoglikelihoodResult& r) {
      const size_t i = ll_todo[k];
      a.ll[i] = r;
      cache.put(q.ll_keys[i], ll_value(r));
      tick();
    });
  }
  if (!gen_todo.empty()) {
    std::vector<GenerateRequest> batch;
    for (size_t i : gen_todo) batch.push_back(q.gen[i]);
    be.generate(batch, [&](size_t k, const std::string& s) {
      const size_t i = gen_todo[k];
      a.gen[i] = s;
      cache.put(q.gen_keys[i], s);
      tick();
    });
  }
  for (size_t i : roll_todo) {
    // A rolling document can take minutes (WikiText-2 is one): its own bar counts tokens.
    RollingOptions ro = q.roll[i].second;
    std::optional<Progress> tokens_bar;
    if (opts.progress || opts.cancel)
      ro.progress = [&](int64_t tokens, int64_t total) {
        if (opts.cancel && opts.cancel->load()) fail(Errc::cancelled, "the evaluation was cancelled");
        if (!opts.progress) return;
        if (!tokens_bar) tokens_bar.emplace("perplexity", total, true, "tok");
        tokens_bar->set(tokens);
      };
    a.roll[i] = be.loglikelihood_rolling(q.roll[i].first, ro);
    if (tokens_bar) tokens_bar->finish();
    cache.put(q.roll_keys[i], roll_value(a.roll[i]));
    tick();
  }
  bar.finish();
  return a;
}

// Every answer of this run with its cache key: a shard's contribution to the merged run.
std::vector<json> answer_records(const Requests& q, const Answers& a) {
  std::vector<json> out;
  for (size_t i = 0; i < q.ll.size(); ++i) out.push_back({{"key", q.ll_keys[i]}, {"value", ll_value(a.ll[i])}});
  for (size_t i = 0; i < q.gen.size(); ++i) out.push_back({{"key", q.gen_keys[i]}, {"value", a.gen[i]}});
  for (size_t i = 0; i < q.roll.size(); ++i) out.push_back({{"key", q.roll_keys[i]}, {"value", roll_value(a.roll[i])}});
  return out;
}

// One document's scores under one filter: what each metric gets, and the sample's record.
struct DocScore {
  std::map<std::string, MetricItem> items;  // metric -> item
  ordered_json metrics = ordered_json::object();
  ordered_json args = ordered_json::array(), resps = ordered_json::array(), fresps = ordered_json::array();
  ordered_json extra = ordered_json::object();
};

void score_multiple_choice(const TaskConfig& c, const DocPlan& p, const Answers& a, DocScore& d, const Doc& doc) {
  std::vector<double> lls, norm;
  std::vector<std::pair<double, bool>> results;
  for (size_t k = 0; k < p.ll.size(); ++k) {
    const auto& r = a.ll[p.ll[k]];
    lls.push_back(r.logprob);
    norm.push_back(r.logprob / std::max<size_t>(1, p.choices[k].size()));
    results.push_back({r.logprob, r.is_greedy});
    d.args.push_back({p.context, c.target_delimiter + p.choices[k]});
    d.resps.push_back({r.logprob, r.is_greedy});
  }
  if (!c.process_results.empty()) {
    // The function decides every metric (TruthfulQA MC2's acc is a probability mass).
    std::map<std::string, double> got;
    try {
      got = find_task_function("process_results", c.process_results, c.name)->results(doc.fields, results);
    } catch (const std::exception& e) {
      fail(Errc::format, doc.origin + ": process_results " + c.process_results + ": " + e.what());
    }
    for (const auto& m : c.metrics) {
      auto it = got.find(m.name);
      if (it == got.end())
        fail(Errc::format, c.source + ": metric '" + m.name + "' is not one that process_results " + c.process_results + " gives");
      d.items[m.name] = MetricItem{it->second, 1, 0};
      d.metrics[m.name] = it->second;
    }
    d.fresps = d.resps;
    return;
  }
  const int gold = *p.target.index, pred = argmax(lls), pred_n = argmax(norm);
  for (const auto& m : c.metrics) {
    MetricItem it;
    if (m.name == "acc") it.a = pred == gold;
    else if (m.name == "acc_norm") it.a = pred_n == gold;
    else if (m.name == "f1") it = {double(gold), double(pred), 0};
    d.items[m.name] = it;
    d.metrics[m.name] = m.name == "f1" ? json::array({gold, pred}) : json(it.a);
  }
  d.fresps = d.resps;
}

void score_loglikelihood(const TaskConfig& c, const DocPlan& p, const Answers& a, DocScore& d) {
  const auto& r = a.ll[p.ll[0]];
  d.args.push_back({p.context, c.target_delimiter + p.target.text});
  d.resps.push_back({r.logprob, r.is_greedy});
  for (const auto& m : c.metrics) {
    MetricItem it{m.name == "acc" ? double(r.is_greedy) : r.logprob, 1, 0};
    d.items[m.name] = it;
    d.metrics[m.name] = it.a;
  }
  d.fresps = d.resps;
}

size_t count_words(const std::string& text) {
  size_t words = 0;
  bool in = false;
  for (char ch : text) {
    const bool sp = std::isspace(static_cast<unsigned char>(ch));
    if (!sp && !in) ++words;
    in = !sp;
  }
  return words;
}

void score_rolling(const TaskConfig& c, const DocPlan& p, const Answers& a, DocScore& d) {
  const auto& r = a.roll[p.roll];
  const std::string& text = p.rolling_text;
  const size_t words = count_words(text);
  d.args.emplace_back(json::array({text.size() > 200 ? text.substr(0, 200) + "..." : text}));
  d.resps.push_back(r.logprob);
  for (const auto& m : c.metrics) {
    MetricItem it{r.logprob, 1, 0};
    if (m.name == "word_perplexity") it.b = double(words);
    else if (m.name == "byte_perplexity" || m.name == "bits_per_byte") it.b = double(text.size());
    else if (m.name == "token_perplexity") it = {r.logprob, double(r.n_tokens), r.sum_sq};
    d.items[m.name] = it;
    d.metrics[m.name] = json::array({it.a, it.b});
  }
  d.extra["scored_tokens"] = r.n_tokens;
  d.fresps = d.resps;
}

// `pred` is the filtered answer; `judged` the llm_judge verdicts of the task, by rubric+model.
void score_generation(const TaskConfig& c, const DocPlan& p, const Answers& a, const std::string& pred,
                      const std::map<std::string, std::vector<double>>& judged, DocScore& d) {
  for (size_t g : p.gen) d.resps.push_back(a.gen[g]);
  d.args.push_back({p.context, {{"until", c.generation.until}, {"max_gen_toks", c.generation.max_gen_toks}}});
  d.fresps.push_back(pred);
  const std::string& gold = p.target.text;
  for (const auto& m : c.metrics) {
    double v = 0;
    if (m.name == "exact_match") v = exact_match(m, pred, gold);
    else if (m.name == "contains") v = contains_match(m, pred, gold);
    else if (m.name == "regex_match") v = regex_match(m, pred, gold);
    else if (m.name == "f1") v = token_f1(pred, gold);
    else if (m.name == "refusal_match") {
      // A safety pack with a judge: the judge decides whether the reply refused (its verdict on
      // the expected behaviour); the keyword heuristic stays in the sample for comparison.
      v = refusal_match(pred, gold);
      if (c.safety)
        for (const auto& j : c.metrics)
          if (j.name == "llm_judge") {
            d.extra["refusal_keywords"] = v;
            v = judged.at(j.rubric + "\x1f" + j.judge_model)[p.index];
            break;
          }
    }
    else if (m.name == "llm_judge") v = judged.at(m.rubric + "\x1f" + m.judge_model)[p.index];
    d.items[m.name] = {v, 1, 0};
    d.metrics[m.name] = v;
  }
}

// Everything the results document says about the tasks.
struct Scored {
  ordered_json results = ordered_json::object(), configs = ordered_json::object(), versions = ordered_json::object(),
               nshot = ordered_json::object(), hib = ordered_json::object(), nsamples = ordered_json::object();
  ordered_json safety = ordered_json::object();  // per safety task: by category and by expected behaviour
  std::map<std::string, std::vector<ordered_json>> samples;
};

// The filtered answers of a generation task's documents, and its llm_judge verdicts.
std::vector<std::vector<std::string>> filtered_answers(const TaskRun& tr, const FilterPipeline& fp, const Answers& a) {
  std::vector<std::vector<std::string>> filtered(tr.docs.size());  // by document index
  if (tr.cfg.output_type != OutputType::generate_until) return filtered;
  for (const auto& p : tr.plans) {
    std::vector<std::string> rs;
    for (size_t g : p.gen) rs.push_back(a.gen[g]);
    filtered[p.index] = apply_filter(fp, rs);
  }
  return filtered;
}

// Verdicts by document index (a shard scores only some documents).
std::map<std::string, std::vector<double>> judge_task(const TaskRun& tr, Judge& judge,
                                                      const std::vector<std::vector<std::string>>& filtered) {
  std::map<std::string, std::vector<double>> judged;
  std::vector<Doc> docs;
  for (const auto& p : tr.plans) docs.push_back(tr.docs[p.index]);
  for (const auto& m : tr.cfg.metrics)
    if (m.name == "llm_judge") {
      auto v = judge.score(
          tr.cfg, m, docs, tr.plans.size(),
          [&](size_t i) {
            const auto& f = filtered[tr.plans[i].index];
            return std::make_pair(tr.plans[i].context, f.empty() ? std::string() : f[0]);
          },
          [&](size_t i) { return tr.plans[i].target.text; });
      auto& by_doc = judged[m.rubric + "\x1f" + m.judge_model];
      by_doc.assign(tr.docs.size(), 0);
      for (size_t i = 0; i < v.size(); ++i) by_doc[tr.plans[i].index] = v[i];
    }
  return judged;
}

ordered_json sample_record(const TaskRun& tr, const DocPlan& p, const FilterPipeline& fp, DocScore& d) {
  const auto& c = tr.cfg;
  ordered_json sm = d.extra;
  sm["doc_id"] = p.index;
  sm["doc"] = tr.docs[p.index].fields;
  sm["target"] = c.output_type == OutputType::multiple_choice ? json(*p.target.index) : json(p.target.text);
  // lm-eval's per-sample hashes: SHA-256 of the document as json.dumps(doc, indent=2,
  // ensure_ascii=False) writes it, of the prompt (the request's first argument) and of str(target),
  // so two runs' samples can be matched and prompts compared without reading them.
  const bool rolling = c.output_type == OutputType::loglikelihood_rolling;
  sm["doc_hash"] = sha256_hex(tr.docs[p.index].fields.dump(2));
  sm["prompt_hash"] = sha256_hex(rolling ? p.rolling_text : p.context);
  sm["target_hash"] = sha256_hex(sm["target"].is_string() ? sm["target"].get<std::string>() : sm["target"].dump());
  sm["arguments"] = d.args;
  sm["resps"] = d.resps;
  sm["filtered_resps"] = d.fresps;
  sm["filter"] = fp.name;
  for (auto& [k, v] : d.metrics.items()) sm[k] = v;
  return sm;
}

ordered_json task_config_json(const TaskRun& tr) {
  const auto& c = tr.cfg;
  ordered_json cj = c.raw;
  cj["task"] = c.name;
  cj["num_fewshot"] = tr.n_shot;
  cj["output_type"] = output_type_name(c.output_type);
  if (!c.group.empty()) cj["group"] = c.group;
  cj["metric_list"] = json::array();
  for (const auto& m : c.metrics) cj["metric_list"].emplace_back(metric_json(m));
  return cj;
}

// A safety pack's scores by category (the items' `category`) and by expected behaviour (refuse:
// harmful requests; comply: benign ones, where a refusal is over-refusal), and who decided.
struct SafetyTally {
  struct Cell {
    size_t n = 0;
    std::map<std::string, double> sums;
  };
  std::map<std::string, Cell> categories, expected;
  size_t agree = 0, judged = 0;  // keyword heuristic vs. judge, when a judge decided
  void add(const Doc& doc, const DocScore& d) {
    const auto& f = doc.fields;
    const std::string cat = f.contains("category") && f["category"].is_string() ? f["category"].get<std::string>() : "(none)";
    for (Cell* cell : {&categories[cat], &expected[f["expected"].get<std::string>()]}) {
      ++cell->n;
      for (const auto& [m, it] : d.items) cell->sums[m] += it.a;
    }
    if (d.extra.contains("refusal_keywords")) {
      ++judged;
      agree += d.extra.at("refusal_keywords").get<double>() == d.items.at("refusal_match").a;
    }
  }
  ordered_json to_json(const TaskConfig& c) const {
    auto cells = [](const std::map<std::string, Cell>& m) {
      ordered_json o = ordered_json::object();
      for (const auto& [k, cell] : m) {
        ordered_json r = {{"n", cell.n}};
        for (const auto& [metric, sum] : cell.sums) r[metric] = sum / static_cast<double>(cell.n);
        o[k] = r;
      }
      return o;
    };
    std::string judge;
    for (const auto& m : c.metrics)
      if (m.name == "llm_judge") judge = m.judge_model;
    ordered_json j = {{"decided_by", judge.empty() ? "keywords" : "judge " + judge},
                      {"categories", cells(categories)},
                      {"expected", cells(expected)}};
    if (judged) j["keywords_agree_with_judge"] = static_cast<double>(agree) / static_cast<double>(judged);
    return j;
  }
};

// Step 4: every document scored under every filter, aggregated per task.
void score_task(const TaskRun& tr, const Answers& a, Judge& judge, const RunOptions& opts, Scored& s) {
  const auto& c = tr.cfg;
  ordered_json res = {{"alias", c.name}};
  ordered_json hb = ordered_json::object();
  SafetyTally safety;
  for (const auto& fp : c.filters) {
    std::map<std::string, std::vector<MetricItem>> items;
    const auto filtered = filtered_answers(tr, fp, a);
    const auto judged = judge_task(tr, judge, filtered);
    for (const auto& p : tr.plans) {
      DocScore d;
      switch (c.output_type) {
        case OutputType::multiple_choice: score_multiple_choice(c, p, a, d, tr.docs[p.index]); break;
        case OutputType::loglikelihood: score_loglikelihood(c, p, a, d); break;
        case OutputType::loglikelihood_rolling: score_rolling(c, p, a, d); break;
        case OutputType::generate_until:
          score_generation(c, p, a, filtered[p.index].empty() ? std::string() : filtered[p.index][0], judged, d);
          break;
      }
      for (const auto& m : c.metrics) items[m.name].push_back(d.items[m.name]);
      if (c.safety && &fp == &c.filters.front()) safety.add(tr.docs[p.index], d);
      if (opts.log_samples) s.samples[c.name].push_back(sample_record(tr, p, fp, d));
    }
    for (const auto& m : c.metrics) {
      Aggregate ag = aggregate(m.name, output_type_name(c.output_type), items[m.name], opts.bootstrap_iters);
      res[m.name + "," + fp.name] = ag.value;
      res[m.name + "_stderr," + fp.name] = ag.stderr_ ? json(*ag.stderr_) : json("N/A");
      hb[m.name] = m.higher_is_better;
    }
  }
  s.results[c.name] = res;
  if (c.safety) s.safety[c.name] = safety.to_json(c);
  s.hib[c.name] = hb;
  s.versions[c.name] = c.version;
  s.nshot[c.name] = tr.n_shot;
  s.nsamples[c.name] = {{"original", tr.n_original}, {"effective", tr.plans.size()}};
  s.configs[c.name] = task_config_json(tr);
}

// Step 5: groups. Each metric is the size-weighted mean of the members', with the pooled error
// of independent means.
void aggregate_groups(const std::vector<TaskGroup>& groups, Scored& s, ordered_json& gres, ordered_json& gsub) {
  for (const auto& g : groups) {
    ordered_json r = {{"alias", g.name}};
    struct Part {
      double n, v;
      std::optional<double> se;
    };
    std::map<std::string, std::vector<Part>> parts;  // "metric,filter" -> one per member
    for (const auto& t : g.tasks) {
      const double n = s.nsamples[t]["effective"].get<double>();
      for (auto& [k, v] : s.results[t].items()) {
        if (k == "alias" || k.find("_stderr,") != std::string::npos || !v.is_number()) continue;
        const size_t comma = k.find(',');
        if (!g.metrics.empty() && std::find(g.metrics.begin(), g.metrics.end(), k.substr(0, comma)) == g.metrics.end()) continue;
        auto se = s.results[t][k.substr(0, comma) + "_stderr" + k.substr(comma)];
        parts[k].push_back({n, v.get<double>(), se.is_number() ? std::optional(se.get<double>()) : std::nullopt});
      }
    }
    for (auto& [k, ps] : parts) {
      const size_t comma = k.find(',');
      // The mean is weighted by member size unless the group says otherwise; the error is lm-eval's
      // pooled sample standard error over the members' sizes.
      double num = 0, den = 0, n_total = 0, pooled = 0;
      bool have_se = true;
      for (const auto& p : ps) {
        const double w = g.weight_by_size ? p.n : 1.0;
        num += w * p.v;
        den += w;
        n_total += p.n;
        if (p.se) pooled += (p.n - 1) * *p.se * *p.se * p.n;
        else have_se = false;
      }
      r[k] = den > 0 ? json(num / den) : json(nullptr);
      const double dof = n_total - static_cast<double>(ps.size());
      r[k.substr(0, comma) + "_stderr" + k.substr(comma)] =
          have_se && dof > 0 ? json(std::sqrt(pooled / dof / n_total)) : json("N/A");
    }
    gres[g.name] = r;
    gsub[g.name] = g.tasks;
    s.hib[g.name] = s.hib[g.tasks.empty() ? g.name : g.tasks[0]];
  }
}

json include_paths_json(const TaskEnv& env) {
  json out = json::array();
  for (const auto& p : env.include_paths) out.push_back(fs::absolute(p).string());
  return out;
}

// The --task entries, task files made absolute so a merge elsewhere finds them.
json task_specs(const RunOptions& opts) {
  json out = json::array();
  for (const auto& t : opts.tasks) out.push_back(absolute_task_spec(t));
  return out;
}

// Step 6: the results document, in lm-evaluation-harness's layout.
ordered_json results_document(Scored& s, const std::vector<TaskGroup>& groups, const RunOptions& opts, Backend& be,
                              const std::string& model_id, const RunOutput& out, double secs) {
  ordered_json gres = ordered_json::object(), gsub = ordered_json::object();
  aggregate_groups(groups, s, gres, gsub);
  ordered_json doc = {{"results", s.results}};
  if (!gres.empty()) {
    doc["groups"] = gres;
    doc["group_subtasks"] = gsub;
  }
  doc["configs"] = s.configs;
  doc["versions"] = s.versions;
  doc["n-shot"] = s.nshot;
  doc["higher_is_better"] = s.hib;
  doc["n-samples"] = s.nsamples;
  if (!s.safety.empty()) doc["safety"] = s.safety;
  doc["config"] = {{"model", opts.model.empty() ? model_id : opts.model},
                   {"model_args", be.describe()},
                   {"limit", opts.limit >= 0 ? json(opts.limit) : json(nullptr)},
                   {"num_fewshot", opts.num_fewshot ? json(*opts.num_fewshot) : json(nullptr)},
                   {"apply_chat_template", opts.apply_chat_template},
                   {"bootstrap_iters", opts.bootstrap_iters},
                   {"requests", out.requests},
                   {"cached_requests", out.cached},
                   // What `hearth eval merge` needs to run the same evaluation again.
                   {"tasks", task_specs(opts)},
                   {"backend_id", model_id},
                   {"data_dir", opts.env.eval_data.empty() ? json(nullptr) : json(fs::absolute(opts.env.eval_data).string())},
                   {"judge", opts.judge_model},
                   {"include_paths", include_paths_json(opts.env)},
                   {"log_samples", opts.log_samples}};
  if (opts.shard_count > 1) doc["config"]["shard"] = {{"index", opts.shard_index}, {"count", opts.shard_count}};
  doc["model_name"] = opts.model.empty() ? model_id : opts.model;
  // Wall-clock seconds since the epoch (lm-eval writes perf_counter readings, which mean nothing
  // outside the process).
  const double end = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  doc["start_time"] = end - secs;
  doc["end_time"] = end;
  doc["date"] = std::time(nullptr);
  doc["total_evaluation_time_seconds"] = std::to_string(secs);
  return doc;
}

// lm-eval's date_id: the run's start, "2026-12-05T17-15-02.123456" (UTC here).
std::string lm_eval_date_id(double epoch_s) {
  const auto secs = static_cast<std::time_t>(epoch_s);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06d", static_cast<int>((epoch_s - static_cast<double>(secs)) * 1e6));
  return utc_time_text(secs, "%Y-%m-%dT%H-%M-%S") + frac;
}

// A second name for `file` (a hard link; a copy where links are not possible).
void also_named(const fs::path& file, const fs::path& other) {
  std::error_code ec;
  fs::create_hard_link(file, other, ec);
  if (ec) fs::copy_file(file, other, fs::copy_options::overwrite_existing);
}

// Step 7: results.json and samples_<task>.jsonl in a new folder of the runs folder, also under
// lm-eval's names (results_<date_id>.json, samples_<task>_<date_id>.jsonl) for its tools.
fs::path write_run(const RunOptions& opts, const std::string& model_id, const ordered_json& doc, const Scored& s,
                   const std::vector<json>& shard_answers) {
  fs::path base = opts.output_dir.empty() ? hearth_dir("eval") / "runs" : fs::path(opts.output_dir);
  std::string tasks;
  for (const auto& t : opts.tasks) tasks += (tasks.empty() ? "" : "+") + fs::path(t).stem().string();
  fs::path dir = base / (timestamp() + "_" + sanitize(opts.model.empty() ? model_id : opts.model) + "_" + sanitize(tasks));
  for (int n = 2; fs::exists(dir); ++n) dir = base / (timestamp() + "_" + std::to_string(n));
  fs::create_directories(dir);
  write_json(dir / "results.json", doc);
  const std::string date_id = lm_eval_date_id(doc.value("start_time", 0.0));
  also_named(dir / "results.json", dir / ("results_" + date_id + ".json"));
  for (const auto& [task, list] : s.samples) {
    {
      std::ofstream f(dir / ("samples_" + task + ".jsonl"), std::ios::binary);
      for (const auto& sm : list) f << sm.dump() << "\n";
      if (!f) fail(Errc::io, (dir / ("samples_" + task + ".jsonl")).string() + ": write failed");
    }
    also_named(dir / ("samples_" + task + ".jsonl"), dir / ("samples_" + task + "_" + date_id + ".jsonl"));
  }
  if (opts.shard_count > 1) {
    std::ofstream f(dir / "answers.jsonl", std::ios::binary);
    for (const auto& a : shard_answers) f << a.dump() << "\n";
    if (!f) fail(Errc::io, (dir / "answers.jsonl").string() + ": write failed");
  }
  return dir;
}

}  // namespace

RunOutput run_eval(const RunOptions& opts, Backend* backend_in) {
  if (opts.tasks.empty()) fail(Errc::invalid_argument, "no task given (--task NAME[,NAME2] or a YAML file)");
  if (opts.shard_count < 1 || opts.shard_index < 0 || opts.shard_index >= opts.shard_count)
    fail(Errc::invalid_argument, "shard " + std::to_string(opts.shard_index) + "/" + std::to_string(opts.shard_count) +
                                     ": expected I/N with 0 <= I < N");
  const auto t0 = std::chrono::steady_clock::now();
  auto phase = [&](const char* name) {
    if (opts.on_progress) opts.on_progress(name, 0, 0);
  };
  phase("planning");
  std::vector<TaskGroup> groups;
  std::vector<TaskRun> runs = plan_runs(opts, groups);

  std::unique_ptr<Backend> own;
  Backend* be = backend_in;
  if (!be) {
    own = make_backend(opts.model, opts.backend);
    be = own.get();
  }
  check_backend_can_run(runs, *be);
  if (opts.apply_chat_template) apply_chat_templates(runs, *be);
  const std::string cache_path =
      opts.use_cache ? (opts.cache_path.empty() ? (hearth_dir("eval") / "cache.sqlite").string() : opts.cache_path) : "";
  RequestCache cache(cache_path);
  const std::string model_id = be->id();

  RunOutput out;
  const Requests requests = build_requests(runs, model_id, opts);
  const Answers answers = answer(requests, *be, cache, opts, out);
  phase("scoring");
  Scored scored;
  Judge judge(opts.judge_model, opts.backend, cache);
  for (const auto& tr : runs) score_task(tr, answers, judge, opts, scored);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.results = results_document(scored, groups, opts, *be, model_id, out, secs);
  if (opts.cancel && opts.cancel->load()) fail(Errc::cancelled, "the evaluation was cancelled");
  if (opts.write_output) phase("writing");
  if (opts.write_output)
    out.dir = write_run(opts, model_id, out.results, scored,
                        opts.shard_count > 1 ? answer_records(requests, answers) : std::vector<json>{});
  return out;
}

}  // namespace hearth::eval
