// MMLU: 57 subjects, each a multiple-choice task answered with the letter; 5-shot from the dev
// split (its first five questions, so every question of a subject shares one few-shot prefix).
// `mmlu` is the group: its score is the size-weighted mean over subjects.
#include "eval/builtin.h"

namespace hearth::eval {
namespace {

const char* const kSubjects[] = {
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "business_ethics",
    "clinical_knowledge",
    "college_biology",
    "college_chemistry",
    "college_computer_science",
    "college_mathematics",
    "college_medicine",
    "college_physics",
    "computer_security",
    "conceptual_physics",
    "econometrics",
    "electrical_engineering",
    "elementary_mathematics",
    "formal_logic",
    "global_facts",
    "high_school_biology",
    "high_school_chemistry",
    "high_school_computer_science",
    "high_school_european_history",
    "high_school_geography",
    "high_school_government_and_politics",
    "high_school_macroeconomics",
    "high_school_mathematics",
    "high_school_microeconomics",
    "high_school_physics",
    "high_school_psychology",
    "high_school_statistics",
    "high_school_us_history",
    "high_school_world_history",
    "human_aging",
    "human_sexuality",
    "international_law",
    "jurisprudence",
    "logical_fallacies",
    "machine_learning",
    "management",
    "marketing",
    "medical_genetics",
    "miscellaneous",
    "moral_disputes",
    "moral_scenarios",
    "nutrition",
    "philosophy",
    "prehistory",
    "professional_accounting",
    "professional_law",
    "professional_medicine",
    "professional_psychology",
    "public_relations",
    "security_studies",
    "sociology",
    "us_foreign_policy",
    "virology",
    "world_religions"};

const char* const kTemplate = R"YAML(
dataset_path: ${EVAL_DATA}/mmlu
test_split: test
fewshot_split: dev
fewshot_config:
  sampler: first_n
num_fewshot: 5
output_type: multiple_choice
doc_to_text: "{{question.strip()}}\nA. {{choice0}}\nB. {{choice1}}\nC. {{choice2}}\nD. {{choice3}}\nAnswer:"
doc_to_choice: ["A", "B", "C", "D"]
doc_to_target: answer
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
)YAML";

}  // namespace

std::vector<BuiltinTask> mmlu_tasks() {
  BuiltinTask g{"mmlu", "MMLU, 57 subjects, 5-shot multiple choice (group)", "", {}, {}, {}};
  for (const char* s : kSubjects) {
    std::string name = s, words = s;
    for (auto& c : words)
      if (c == '_') c = ' ';
    std::string yaml = "task: mmlu_" + name + "\ndataset_name: " + name +
                       "\ndescription: \"The following are multiple choice questions (with answers) about " + words +
                       ".\\n\\n\"\n" + kTemplate;
    g.generated.emplace_back("mmlu_" + name, yaml);
  }
  return {std::move(g)};
}

}  // namespace hearth::eval
