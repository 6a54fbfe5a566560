#include "jinja/template.h"

#include "jinja/lexer.h"
#include "jinja/parser.h"
#include "jinja/render.h"

namespace hearth::jinja {

Template Template::parse(std::string_view source, Options options) {
  if (source.size() > options.max_template_bytes)
    throw TemplateError(TemplateError::Kind::limit, "template is larger than " + std::to_string(options.max_template_bytes) + " bytes");
  Template t;
  t.options_ = options;
  auto toks = lex(source, options);
  t.body_ = std::make_shared<const Body>(parse_tokens(toks, options));
  return t;
}

std::string Template::render(const Value& context) const {
  if (!body_) return {};
  if (!context.is_undefined() && !context.is_mapping())
    throw TemplateError(TemplateError::Kind::runtime, "template context must be a mapping");
  return render_body(*body_, context, options_, now);
}

}  // namespace hearth::jinja
