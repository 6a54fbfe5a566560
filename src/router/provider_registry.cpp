// The provider types a config's `type:` may name: one line per provider file.
#include "router/provider.h"

namespace hearth::router {

std::unique_ptr<Provider> make_openai_provider(const ProviderConfig&, const ProviderContext&);
std::unique_ptr<Provider> make_anthropic_provider(const ProviderConfig&, const ProviderContext&);
std::unique_ptr<Provider> make_gemini_provider(const ProviderConfig&, const ProviderContext&);
std::unique_ptr<Provider> make_ollama_provider(const ProviderConfig&, const ProviderContext&);
std::unique_ptr<Provider> make_local_provider(const ProviderConfig&, const ProviderContext&);

namespace {

const ProviderType kProviderTypes[] = {
    {"openai", make_openai_provider},
    {"anthropic", make_anthropic_provider},
    {"gemini", make_gemini_provider},
    {"ollama", make_ollama_provider},
    {"local", make_local_provider},
};

}  // namespace

std::span<const ProviderType> provider_types() { return kProviderTypes; }

}  // namespace hearth::router
