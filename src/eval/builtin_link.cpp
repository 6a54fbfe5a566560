#include <mutex>

#include "eval/builtin.h"

namespace hearth::eval {

void register_task_gsm8k();
void register_task_mmlu();
void register_task_truthfulqa();
void register_task_wikitext();
void register_task_safety();

void link_builtin_tasks() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_task_gsm8k();
    register_task_mmlu();
    register_task_truthfulqa();
    register_task_wikitext();
    register_task_safety();
  });
}

}  // namespace hearth::eval
