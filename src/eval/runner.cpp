#include "eval/runner.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <regex>

#include "core/error.h"
#include "core/paths.h"
#include "eval/cache.h"
#include "eval/custom.h"
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
  std::string context;
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

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H-%M-%S", &tm);
  return buf;
}

std::string sanitize(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  if (o.size() > 60) o = o.substr(o.size() - 60);
  return o;
}

void load_docs(TaskRun& tr, const RunOptions& opts) {
  const auto& c = tr.cfg;
  const std::string& split = !c.test_split.empty() ? c.test_split : c.validation_split;
  tr.docs = load_split(c.dataset_path, c.dataset_name, split);
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
  std::vector<Doc> pool_own;
  const std::vector<Doc>* pool = &tr.docs;
  if (tr.n_shot > 0) {
    std::string fs_split = !c.fewshot_split.empty()      ? c.fewshot_split
                           : !c.training_split.empty()   ? c.training_split
                           : !c.validation_split.empty() ? c.validation_split
                                                         : c.test_split;
    pool_own = load_split(c.dataset_path, c.dataset_name, fs_split);
    pool = &pool_own;
  }
  for (size_t i = 0; i < tr.docs.size(); ++i) {
    const Doc& d = tr.docs[i];
    DocPlan p;
    p.index = i;
    std::string ctx;
    if (!c.description.empty()) ctx += DocRenderer::render_with(c.description, d, ordered_json::object());
    if (tr.n_shot > 0) {
      auto ex = pick_fewshot(*pool, d, tr.n_shot, c.fewshot_sampler, c.fewshot_seed, i);
      for (const Doc* e : ex) {
        Target t = tr.renderer->target(*e);
        ctx += tr.renderer->text(*e) + c.target_delimiter + t.text + c.fewshot_delimiter;
      }
    }
    if (c.output_type == OutputType::loglikelihood_rolling) {
      p.rolling_text = tr.renderer->target(d).text;
    } else {
      ctx += tr.renderer->text(d);
      p.choices = tr.renderer->choices(d);
      p.target = tr.renderer->target(d);
    }
    p.context = std::move(ctx);
    tr.plans.push_back(std::move(p));
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

}  // namespace

RunOutput run_eval(const RunOptions& opts, Backend* backend_in) {
  if (opts.tasks.empty()) fail(Errc::invalid_argument, "no task given (--task NAME[,NAME2] or a YAML file)");
  auto t0 = std::chrono::steady_clock::now();
  std::vector<TaskRun> runs;
  std::vector<TaskGroup> groups;
  for (const auto& spec : opts.tasks)
    for (auto& cfg : resolve_tasks(spec, opts.env, &groups)) runs.push_back(TaskRun{std::move(cfg)});
  for (auto& tr : runs) {
    load_docs(tr, opts);
    plan_contexts(tr);
  }

  std::unique_ptr<Backend> own;
  Backend* be = backend_in;
  if (!be) {
    own = make_backend(opts.model, opts.backend);
    be = own.get();
  }
  // A chat-only endpoint can still run generation tasks; say which tasks cannot run, up front.
  std::vector<std::string> need_ll;
  for (const auto& tr : runs)
    if (tr.cfg.output_type != OutputType::generate_until) need_ll.push_back(tr.cfg.name);
  if (!need_ll.empty() && !be->supports_loglikelihood()) {
    std::string names;
    for (const auto& n : need_ll) names += (names.empty() ? "" : ", ") + n;
    fail(Errc::unsupported, be->loglikelihood_unavailable_reason() + " (cannot run: " + names + ")");
  }

  std::string cache_path = opts.use_cache ? (opts.cache_path.empty() ? (hearth_dir("eval") / "cache.sqlite").string() : opts.cache_path) : "";
  RequestCache cache(cache_path);
  const std::string model_id = be->id();
  RunOutput out;

  // ---- build requests --------------------------------------------------------------------
  std::vector<LoglikelihoodRequest> ll_reqs;
  std::vector<std::string> ll_keys;
  std::vector<GenerateRequest> gen_reqs;
  std::vector<std::string> gen_keys;
  std::vector<std::pair<std::string, RollingOptions>> roll_reqs;
  for (auto& tr : runs) {
    const auto& c = tr.cfg;
    for (auto& p : tr.plans) {
      auto add_ll = [&](const std::string& cont) {
        p.ll.push_back(ll_reqs.size());
        ll_reqs.push_back({p.context, cont});
        ll_keys.push_back(RequestCache::key(model_id, "loglikelihood", {p.context, cont}));
      };
      switch (c.output_type) {
        case OutputType::multiple_choice:
          for (const auto& ch : p.choices) add_ll(c.target_delimiter + ch);
          break;
        case OutputType::loglikelihood: add_ll(c.target_delimiter + p.target.text); break;
        case OutputType::loglikelihood_rolling:
          p.roll = static_cast<long>(roll_reqs.size());
          roll_reqs.push_back({p.rolling_text, RollingOptions{c.rolling_method, c.rolling_context}});
          break;
        case OutputType::generate_until:
          for (int r = 0; r < c.repeats; ++r) {
            GenerateRequest g{p.context, c.generation, static_cast<uint64_t>(1234 + r), opts.apply_chat_template};
            p.gen.push_back(gen_reqs.size());
            json kw = {{"until", g.kwargs.until}, {"max", g.kwargs.max_gen_toks}, {"t", g.kwargs.temperature},
                       {"s", g.kwargs.do_sample}, {"seed", g.seed}, {"chat", g.chat}};
            gen_keys.push_back(RequestCache::key(model_id, "generate", {p.context, kw}));
            gen_reqs.push_back(std::move(g));
          }
          break;
      }
    }
  }

  // ---- answer them: cache first, then the backend in order ------------------------------
  std::vector<LoglikelihoodResult> ll_res(ll_reqs.size());
  std::vector<std::string> gen_res(gen_reqs.size());
  std::vector<RollingResult> roll_res(roll_reqs.size());
  std::vector<size_t> ll_todo, gen_todo, roll_todo;
  for (size_t i = 0; i < ll_reqs.size(); ++i) {
    auto v = cache.get(ll_keys[i]);
    if (v && v->is_array() && v->size() == 3) ll_res[i] = {(*v)[0].get<double>(), (*v)[1].get<bool>(), (*v)[2].get<int>()};
    else ll_todo.push_back(i);
  }
  for (size_t i = 0; i < gen_reqs.size(); ++i) {
    auto v = cache.get(gen_keys[i]);
    if (v && v->is_string()) gen_res[i] = v->get<std::string>();
    else gen_todo.push_back(i);
  }
  std::vector<std::string> roll_keys;
  for (size_t i = 0; i < roll_reqs.size(); ++i) {
    roll_keys.push_back(RequestCache::key(model_id, "rolling",
                                          {roll_reqs[i].first, roll_reqs[i].second.method, roll_reqs[i].second.context}));
    auto v = cache.get(roll_keys[i]);
    if (v && v->is_array() && v->size() == 3) roll_res[i] = {(*v)[0].get<double>(), (*v)[1].get<int64_t>(), (*v)[2].get<double>()};
    else roll_todo.push_back(i);
  }
  int64_t total = static_cast<int64_t>(ll_reqs.size() + gen_reqs.size() + roll_reqs.size());
  int64_t todo = static_cast<int64_t>(ll_todo.size() + gen_todo.size() + roll_todo.size());
  out.requests = total;
  out.cached = total - todo;
  if (opts.progress && out.cached > 0)
    std::fprintf(stderr, "eval: %lld of %lld requests answered from the cache\n", static_cast<long long>(out.cached),
                 static_cast<long long>(total));
  Progress bar("eval", todo, opts.progress);
  if (!ll_todo.empty()) {
    std::vector<LoglikelihoodRequest> batch;
    for (size_t i : ll_todo) batch.push_back(ll_reqs[i]);
    be->loglikelihood(batch, [&](size_t k, const LoglikelihoodResult& r) {
      size_t i = ll_todo[k];
      ll_res[i] = r;
      cache.put(ll_keys[i], json::array({r.logprob, r.is_greedy, r.n_tokens}));
      bar.tick();
    });
  }
  if (!gen_todo.empty()) {
    std::vector<GenerateRequest> batch;
    for (size_t i : gen_todo) batch.push_back(gen_reqs[i]);
    be->generate(batch, [&](size_t k, const std::string& s) {
      size_t i = gen_todo[k];
      gen_res[i] = s;
      cache.put(gen_keys[i], s);
      bar.tick();
    });
  }
  for (size_t i : roll_todo) {
    roll_res[i] = be->loglikelihood_rolling(roll_reqs[i].first, roll_reqs[i].second);
    cache.put(roll_keys[i], json::array({roll_res[i].logprob, roll_res[i].n_tokens, roll_res[i].sum_sq}));
    bar.tick();
  }
  bar.finish();

  // ---- score -----------------------------------------------------------------------------
  ordered_json results = ordered_json::object(), configs = ordered_json::object(), versions = ordered_json::object(),
               nshot = ordered_json::object(), hib = ordered_json::object(), nsamples = ordered_json::object();
  std::map<std::string, std::vector<ordered_json>> samples;
  Judge judge(opts.judge_model, opts.backend, cache);
  for (auto& tr : runs) {
    const auto& c = tr.cfg;
    ordered_json res = {{"alias", c.name}};
    ordered_json hb = ordered_json::object();
    for (const auto& fp : c.filters) {
      std::map<std::string, std::vector<MetricItem>> items;
      // llm_judge verdicts for the whole task at once (the judge may run concurrently).
      std::vector<std::vector<std::string>> filtered(tr.plans.size());
      for (auto& p : tr.plans) {
        if (c.output_type != OutputType::generate_until) continue;
        std::vector<std::string> rs;
        for (size_t g : p.gen) rs.push_back(gen_res[g]);
        filtered[p.index] = apply_filter(fp, rs);
      }
      std::map<std::string, std::vector<double>> judged;
      for (const auto& m : c.metrics)
        if (m.name == "llm_judge") judged[m.rubric + "\x1f" + m.judge_model] = judge.score(c, m, tr.docs, tr.plans.size(), [&](size_t i) {
          return std::make_pair(tr.plans[i].context, filtered[i].empty() ? std::string() : filtered[i][0]);
        }, [&](size_t i) { return tr.plans[i].target.text; });
      for (auto& p : tr.plans) {
        ordered_json sm = ordered_json::object();
        ordered_json metrics_of_doc = ordered_json::object();
        ordered_json args = ordered_json::array(), resps = ordered_json::array(), fresps = ordered_json::array();
        switch (c.output_type) {
          case OutputType::multiple_choice: {
            std::vector<double> lls, norm;
            bool gold_greedy = false;
            for (size_t k = 0; k < p.ll.size(); ++k) {
              const auto& r = ll_res[p.ll[k]];
              lls.push_back(r.logprob);
              norm.push_back(r.logprob / std::max<size_t>(1, p.choices[k].size()));
              args.push_back({p.context, c.target_delimiter + p.choices[k]});
              resps.push_back({r.logprob, r.is_greedy});
              if (static_cast<int>(k) == *p.target.index) gold_greedy = r.is_greedy;
            }
            (void)gold_greedy;
            int gold = *p.target.index, pred = argmax(lls), pred_n = argmax(norm);
            for (const auto& m : c.metrics) {
              MetricItem it;
              if (m.name == "acc") it.a = pred == gold;
              else if (m.name == "acc_norm") it.a = pred_n == gold;
              else if (m.name == "f1") it = {double(gold), double(pred), 0};
              items[m.name].push_back(it);
              metrics_of_doc[m.name] = m.name == "f1" ? json::array({gold, pred}) : json(it.a);
            }
            fresps = resps;
            break;
          }
          case OutputType::loglikelihood: {
            const auto& r = ll_res[p.ll[0]];
            args.push_back({p.context, c.target_delimiter + p.target.text});
            resps.push_back({r.logprob, r.is_greedy});
            for (const auto& m : c.metrics) {
              MetricItem it{m.name == "acc" ? double(r.is_greedy) : r.logprob, 1, 0};
              items[m.name].push_back(it);
              metrics_of_doc[m.name] = it.a;
            }
            fresps = resps;
            break;
          }
          case OutputType::loglikelihood_rolling: {
            const auto& r = roll_res[p.roll];
            const std::string& text = p.rolling_text;
            size_t words = 0;
            bool in = false;
            for (char ch : text) {
              bool sp = std::isspace(static_cast<unsigned char>(ch));
              if (!sp && !in) ++words;
              in = !sp;
            }
            args.emplace_back(json::array({text.size() > 200 ? text.substr(0, 200) + "..." : text}));
            resps.push_back(r.logprob);
            for (const auto& m : c.metrics) {
              MetricItem it{r.logprob, 1, 0};
              if (m.name == "word_perplexity") it.b = double(words);
              else if (m.name == "byte_perplexity" || m.name == "bits_per_byte") it.b = double(text.size());
              else if (m.name == "token_perplexity") it = {r.logprob, double(r.n_tokens), r.sum_sq};
              items[m.name].push_back(it);
              metrics_of_doc[m.name] = json::array({it.a, it.b});
            }
            sm["scored_tokens"] = r.n_tokens;
            fresps = resps;
            break;
          }
          case OutputType::generate_until: {
            for (size_t g : p.gen) resps.push_back(gen_res[g]);
            args.push_back({p.context, {{"until", c.generation.until}, {"max_gen_toks", c.generation.max_gen_toks}}});
            const std::string pred = filtered[p.index].empty() ? std::string() : filtered[p.index][0];
            fresps.push_back(pred);
            const std::string& gold = p.target.text;
            for (const auto& m : c.metrics) {
              double v = 0;
              if (m.name == "exact_match") v = exact_match(m, pred, gold);
              else if (m.name == "contains") v = contains_match(m, pred, gold);
              else if (m.name == "regex_match") v = regex_match(m, pred, gold);
              else if (m.name == "f1") v = token_f1(pred, gold);
              else if (m.name == "refusal_match") v = refusal_match(pred, gold);
              else if (m.name == "llm_judge") v = judged[m.rubric + "\x1f" + m.judge_model][p.index];
              items[m.name].push_back({v, 1, 0});
              metrics_of_doc[m.name] = v;
            }
            break;
          }
        }
        if (opts.log_samples) {
          sm["doc_id"] = p.index;
          sm["doc"] = tr.docs[p.index].fields;
          sm["target"] = c.output_type == OutputType::multiple_choice ? json(*p.target.index) : json(p.target.text);
          sm["arguments"] = args;
          sm["resps"] = resps;
          sm["filtered_resps"] = fresps;
          sm["filter"] = fp.name;
          for (auto& [k, v] : metrics_of_doc.items()) sm[k] = v;
          samples[c.name].push_back(std::move(sm));
        }
      }
      for (const auto& m : c.metrics) {
        Aggregate a = aggregate(m.name, output_type_name(c.output_type), items[m.name], opts.bootstrap_iters);
        res[m.name + "," + fp.name] = a.value;
        res[m.name + "_stderr," + fp.name] = a.stderr_ ? json(*a.stderr_) : json("N/A");
        hb[m.name] = m.higher_is_better;
      }
    }
    results[c.name] = res;
    hib[c.name] = hb;
    versions[c.name] = c.version;
    nshot[c.name] = tr.n_shot;
    nsamples[c.name] = {{"original", tr.n_original}, {"effective", tr.docs.size()}};
    ordered_json cj = c.raw;
    cj["task"] = c.name;
    cj["num_fewshot"] = tr.n_shot;
    cj["output_type"] = output_type_name(c.output_type);
    if (!c.group.empty()) cj["group"] = c.group;
    cj["metric_list"] = json::array();
    for (const auto& m : c.metrics) cj["metric_list"].emplace_back(metric_json(m));
    configs[c.name] = cj;
  }

  // Groups: each metric is the size-weighted mean of the members', with the pooled error of
  // independent means.
  ordered_json gres = ordered_json::object(), gsub = ordered_json::object();
  for (const auto& g : groups) {
    ordered_json r = {{"alias", g.name}};
    std::map<std::string, std::pair<double, double>> acc;  // key -> (sum n*v, sum n^2*se^2)
    double n_total = 0;
    for (const auto& t : g.tasks) {
      double n = nsamples[t]["effective"].get<double>();
      n_total += n;
      for (auto& [k, v] : results[t].items()) {
        if (k == "alias" || k.find("_stderr,") != std::string::npos || !v.is_number()) continue;
        acc[k].first += n * v.get<double>();
        size_t comma = k.find(',');
        auto se = results[t][k.substr(0, comma) + "_stderr" + k.substr(comma)];
        if (se.is_number()) acc[k].second += n * n * se.get<double>() * se.get<double>();
      }
    }
    for (auto& [k, v] : acc) {
      size_t comma = k.find(',');
      r[k] = v.first / n_total;
      r[k.substr(0, comma) + "_stderr" + k.substr(comma)] = std::sqrt(v.second) / n_total;
    }
    gres[g.name] = r;
    gsub[g.name] = g.tasks;
    hib[g.name] = hib[g.tasks.empty() ? g.name : g.tasks[0]];
  }

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ordered_json doc = {{"results", results}};
  if (!gres.empty()) {
    doc["groups"] = gres;
    doc["group_subtasks"] = gsub;
  }
  doc["configs"] = configs;
  doc["versions"] = versions;
  doc["n-shot"] = nshot;
  doc["higher_is_better"] = hib;
  doc["n-samples"] = nsamples;
  json model_desc = be->describe();
  doc["config"] = {{"model", opts.model.empty() ? model_id : opts.model},
                   {"model_args", model_desc},
                   {"limit", opts.limit >= 0 ? json(opts.limit) : json(nullptr)},
                   {"num_fewshot", opts.num_fewshot ? json(*opts.num_fewshot) : json(nullptr)},
                   {"apply_chat_template", opts.apply_chat_template},
                   {"bootstrap_iters", opts.bootstrap_iters},
                   {"requests", total},
                   {"cached_requests", out.cached}};
  doc["date"] = std::time(nullptr);
  doc["total_evaluation_time_seconds"] = std::to_string(secs);
  out.results = doc;

  if (opts.write_output) {
    fs::path base = opts.output_dir.empty() ? hearth_dir("eval") / "runs" : fs::path(opts.output_dir);
    std::string tasks;
    for (const auto& t : opts.tasks) tasks += (tasks.empty() ? "" : "+") + fs::path(t).stem().string();
    fs::path dir = base / (timestamp() + "_" + sanitize(opts.model.empty() ? model_id : opts.model) + "_" + sanitize(tasks));
    for (int n = 2; fs::exists(dir); ++n) dir = base / (timestamp() + "_" + std::to_string(n));
    fs::create_directories(dir);
    write_json(dir / "results.json", doc);
    for (auto& [task, list] : samples) {
      std::ofstream f(dir / ("samples_" + task + ".jsonl"), std::ios::binary);
      for (const auto& s : list) f << s.dump() << "\n";
      if (!f) fail(Errc::io, (dir / ("samples_" + task + ".jsonl")).string() + ": write failed");
    }
    out.dir = dir;
  }
  return out;
}

}  // namespace hearth::eval
