// The web UI is embedded into the binary: index.html is served at "/" and every file it
// references is in the table, with a content type and a strong ETag.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "web/web_assets.h"

using hearth::web::find_web_asset;
using hearth::web::web_assets;

TEST(WebAssets, RootIsIndexHtml) {
  const auto* root = find_web_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->path, "/index.html");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(root->immutable);
  EXPECT_NE(root->body.find("<div id=\"app\">"), std::string_view::npos);
  EXPECT_EQ(find_web_asset(""), root);
  EXPECT_EQ(find_web_asset("/index.html"), root);
  EXPECT_EQ(find_web_asset("/?x=1"), root);
  EXPECT_EQ(find_web_asset("/index.html#frag"), root);
}

TEST(WebAssets, EveryReferencedFileIsEmbedded) {
  const auto* root = find_web_asset("/");
  ASSERT_NE(root, nullptr);
  std::string html(root->body);
  std::regex ref(R"re((?:src|href)="(/[^"]*)")re");
  std::set<std::string> refs;
  for (std::sregex_iterator it(html.begin(), html.end(), ref), end; it != end; ++it) refs.insert((*it)[1]);
  ASSERT_GE(refs.size(), 2u) << "index.html should reference at least a script and a stylesheet";
  bool saw_js = false, saw_css = false;
  for (const auto& r : refs) {
    const auto* a = find_web_asset(r);
    ASSERT_NE(a, nullptr) << r << " is referenced by index.html but not embedded";
    EXPECT_FALSE(a->body.empty()) << r;
    if (a->content_type == "text/javascript; charset=utf-8") saw_js = true;
    if (a->content_type == "text/css; charset=utf-8") saw_css = true;
  }
  EXPECT_TRUE(saw_js);
  EXPECT_TRUE(saw_css);
}

TEST(WebAssets, EtagsAreStrongAndDistinct) {
  std::set<std::string_view> tags;
  ASSERT_FALSE(web_assets().empty());
  for (const auto& a : web_assets()) {
    ASSERT_GE(a.etag.size(), 3u) << a.path;
    EXPECT_EQ(a.etag.front(), '"') << a.path;
    EXPECT_EQ(a.etag.back(), '"') << a.path;
    EXPECT_NE(a.etag.substr(0, 2), "W/") << a.path;
    EXPECT_FALSE(a.content_type.empty()) << a.path;
    EXPECT_EQ(find_web_asset(a.path), &a) << a.path;
    tags.insert(a.etag);
  }
  EXPECT_EQ(tags.size(), web_assets().size()) << "identical ETags for different files";
}

TEST(WebAssets, UnknownPathsAreNotFound) {
  EXPECT_EQ(find_web_asset("/nope.js"), nullptr);
  EXPECT_EQ(find_web_asset("/v1/models"), nullptr);
  EXPECT_EQ(find_web_asset("index.html"), nullptr);  // request paths start with '/'
  EXPECT_EQ(find_web_asset("/assets/"), nullptr);
  EXPECT_EQ(find_web_asset("/../index.html"), nullptr);
  EXPECT_EQ(find_web_asset(std::string_view("/index.html\0x", 13)), nullptr);
}

TEST(WebAssets, ConditionalRequestsAndCaching) {
  const auto* root = find_web_asset("/");
  ASSERT_NE(root, nullptr);
  std::string tag(root->etag);
  EXPECT_TRUE(hearth::web::etag_matches(*root, tag));
  EXPECT_TRUE(hearth::web::etag_matches(*root, "W/" + tag));
  EXPECT_TRUE(hearth::web::etag_matches(*root, "\"other\", " + tag + " ,\"x\""));
  EXPECT_TRUE(hearth::web::etag_matches(*root, "*"));
  EXPECT_FALSE(hearth::web::etag_matches(*root, ""));
  EXPECT_FALSE(hearth::web::etag_matches(*root, "\"other\""));
  EXPECT_FALSE(hearth::web::etag_matches(*root, tag.substr(1)));  // unquoted is a different tag
  EXPECT_EQ(hearth::web::cache_control(*root), "no-cache");
  bool saw_immutable = false;
  for (const auto& a : web_assets()) {
    if (!a.immutable) continue;
    saw_immutable = true;
    EXPECT_EQ(a.path.substr(0, 8), "/assets/") << a.path;
    EXPECT_EQ(hearth::web::cache_control(a), "public, max-age=31536000, immutable");
  }
  EXPECT_TRUE(saw_immutable) << "the bundled script should have a content-hashed name";
}
