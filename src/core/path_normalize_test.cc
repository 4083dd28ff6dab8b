#include "core/path_normalize.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tresor::core {
namespace {

using namespace std::string_literals;  // "..."s keeps embedded NUL bytes

// Every input below is what NormalizePath receives: the path after "/v1/"
// once percent-decoded by http/. Where the case is about an encoding, the
// name gives the form sent on the wire.
// What each refusal must be for: a fragment of the error message. Checking
// it proves a case is refused by the rule it exercises, not by accident.
constexpr char kDotSegment[] = "'.' or '..' segment";
constexpr char kEscape[] = "percent-encoded";
constexpr char kNul[] = "NUL byte";
constexpr char kControl[] = "control character";
constexpr char kBackslash[] = "backslash";
constexpr char kUtf8[] = "not valid UTF-8";

struct RefusedCase {
  std::string name;
  std::string decoded;
  std::string reason;
};

class RefusedPathTest : public testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedPathTest, IsInvalidArgument) {
  const RefusedCase& c = GetParam();
  auto result = NormalizePath(c.decoded);
  ASSERT_FALSE(result.ok()) << c.name << " was accepted as " << result->path;
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << c.name;
  EXPECT_EQ(result.status().message().rfind("invalid path: ", 0), 0u) << result.status().message();
  EXPECT_NE(result.status().message().find(c.reason), std::string::npos)
      << c.name << ": " << result.status().message();
}

const std::vector<RefusedCase>& RefusedCases() {
  static const std::vector<RefusedCase> cases = {
      // Dot segments, plain.
      {"DotDotInMiddle", "sys/../secret", kDotSegment},
      {"DotInMiddle", "secret/./x", kDotSegment},
      {"DotDotLeading", "../sys", kDotSegment},
      {"DotDotTrailing", "secret/..", kDotSegment},
      {"DotDotTrailingSlash", "secret/../", kDotSegment},
      {"DotDotAlone", "..", kDotSegment},
      {"DotAlone", ".", kDotSegment},
      {"DotSlash", "./", kDotSegment},
      {"DotDotAfterLeadingSlashes", "//../sys", kDotSegment},
      {"DotDotAfterDoubleSlash", "sys//../secret", kDotSegment},
      {"DotDotAfterDots", "secret/...//..", kDotSegment},
      {"DotDotChain", "secret/data/../../../sys/raw/core", kDotSegment},
      // Wire "secret%2f..%2fsys" and "%2E%2e/x": decoded once, these are plain
      // ".." segments (DotDotLeading covers wire "%2e%2e/sys").
      {"EncodedSlashesAroundDotDot", "secret/../sys", kDotSegment},
      {"EncodedMixedCaseDotDot", "../x", kDotSegment},
      {"DotThenDotDot", "secret/./../sys", kDotSegment},
      // Escapes left after the one decoding step (double encoding).
      {"DoubleEncodedDotDot", "%2e%2e/sys", kEscape},        // wire %252e%252e/sys
      {"DoubleEncodedMixedCase", "%2E%2e/sys", kEscape},     // wire %252E%252e/sys
      {"DoubleEncodedUpperCase", "secret/%2E%2E", kEscape},  // wire secret/%252E%252E
      {"DoubleEncodedHalfDot", "secret/.%2e", kEscape},      // wire secret/.%252e
      {"DoubleEncodedSlash", "secret%2fdata", kEscape},      // wire secret%252fdata
      {"DoubleEncodedSlashUpper", "secret%2Fdata", kEscape},
      {"DoubleEncodedBackslash", "secret%5c..%5csys", kEscape},  // wire %255c
      {"DoubleEncodedNul", "secret/%00", kEscape},               // wire secret/%2500
      {"TripleEncodedDot", "secret/%252e%252e", kEscape},        // wire %25252e
      {"DoubleEncodedOverlongDot", "secret/%c0%ae%c0%ae", kEscape},
      {"NestedEscapeTrick", "secret/%%32%65", kEscape},  // "%%32%65" -> "%2e" in lax decoders
      {"DoubleEncodedNewline", "secret/%0a", kEscape},
      {"EscapeAtEnd", "secret/a%41", kEscape},
      // NUL and other control characters.
      {"NulAtEnd", "secret/\0"s, kNul},
      {"NulInMiddle", "secret/x\0y"s, kNul},
      {"NulTruncatingDotDot", "secret/\0/../sys"s, kNul},
      {"SohControl", "secret/\x01", kControl},
      {"Newline", "secret/\n", kControl},
      {"CrLfHeaderInjection", "secret/\r\nX-Injected: 1", kControl},
      {"Tab", "secret/a\tb", kControl},
      {"Delete", "secret/\x7f", kControl},
      {"AnsiEscape", "secret/\x1b[31mred", kControl},
      // Backslashes, which some platforms and proxies treat as '/'.
      {"Backslash", "secret\\..\\sys", kBackslash},
      {"BackslashDotDot", "..\\sys", kBackslash},
      {"BackslashInName", "secret/a\\b", kBackslash},
      // Invalid UTF-8, including overlong forms of '.', '/' and '\'.
      {"OverlongDot2Byte", "secret/\xC0\xAE\xC0\xAE/sys", kUtf8},
      {"OverlongSlash2Byte", "secret\xC0\xAF..\xC0\xAFsys", kUtf8},
      {"OverlongDot3Byte", "secret/\xE0\x80\xAE", kUtf8},
      {"OverlongDot4Byte", "secret/\xF0\x80\x80\xAE", kUtf8},
      {"OverlongBackslash", "secret/\xC1\x9C", kUtf8},
      {"Surrogate", "secret/\xED\xA0\x80", kUtf8},
      {"AboveMaxCodePoint", "secret/\xF4\x90\x80\x80", kUtf8},
      {"ByteFF", "secret/\xFF", kUtf8},
      {"LoneContinuation", "secret/\x80", kUtf8},
      {"TruncatedSequence", "secret/\xE2\x80", kUtf8},
      {"TruncatedAtSlash", "secret/\xE2\x80/x", kUtf8},
      // C1 controls: NEL (a line break to some parsers) and CSI.
      {"C1NextLine", "secret/\xC2\x85", kControl},
      {"C1Csi", "secret/\xC2\x9B[31m", kControl},
  };
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Hostile, RefusedPathTest, testing::ValuesIn(RefusedCases()),
                         [](const testing::TestParamInfo<RefusedCase>& info) {
                           return info.param.name;
                         });

struct AcceptedCase {
  std::string name;
  std::string decoded;
  std::string want_path;
  bool want_trailing_slash;
};

class AcceptedPathTest : public testing::TestWithParam<AcceptedCase> {};

TEST_P(AcceptedPathTest, NormalisesToCanonicalForm) {
  const AcceptedCase& c = GetParam();
  auto result = NormalizePath(c.decoded);
  ASSERT_TRUE(result.ok()) << c.name << ": " << result.status().ToString();
  EXPECT_EQ(result->path, c.want_path);
  EXPECT_EQ(result->trailing_slash, c.want_trailing_slash);

  // The canonical form is a fixed point: normalising it again changes
  // nothing, so no later step can reinterpret it.
  auto again = NormalizePath(result->path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->path, result->path);
  EXPECT_FALSE(again->trailing_slash);
}

const std::vector<AcceptedCase>& AcceptedCases() {
  static const std::vector<AcceptedCase> cases = {
      {"Plain", "secret/data/foo", "secret/data/foo", false},
      {"Empty", "", "", false},
      {"OnlySlash", "/", "", false},
      {"OnlySlashes", "///", "", false},
      {"LeadingSlash", "/secret/foo", "secret/foo", false},
      {"DoubleSlashCollapses", "secret//foo", "secret/foo", false},
      {"ManySlashesCollapse", "secret///foo////bar", "secret/foo/bar", false},
      {"TrailingSlash", "secret/foo/", "secret/foo", true},
      {"TrailingDoubleSlash", "secret/foo//", "secret/foo", true},
      {"MountOnlyWithSlash", "cubbyhole/", "cubbyhole", true},
      // Dots that are not whole "." or ".." segments are just names.
      {"ThreeDots", "secret/...", "secret/...", false},
      {"HiddenName", "secret/.hidden", "secret/.hidden", false},
      {"DotDotPrefix", "secret/..foo", "secret/..foo", false},
      {"DotDotSuffix", "secret/foo..", "secret/foo..", false},
      {"SpaceDotDot", "secret/ ..", "secret/ ..", false},
      // Unicode lookalikes are ordinary characters: nothing decodes them.
      {"OneDotLeader", "secret/\u2024\u2024/sys", "secret/\u2024\u2024/sys", false},
      {"FullwidthFullStop", "secret/\uFF0E\uFF0E/sys", "secret/\uFF0E\uFF0E/sys", false},
      {"DivisionSlash", "secret/a\u2215b", "secret/a\u2215b", false},
      {"SmallReverseSolidus", "secret/a\uFE68b", "secret/a\uFE68b", false},
      {"Accented", "secret/caf\xC3\xA9", "secret/caf\xC3\xA9", false},
      {"Emoji", "secret/\xF0\x9F\x94\x91", "secret/\xF0\x9F\x94\x91", false},
      {"MaxCodePoint", "secret/\xF4\x8F\xBF\xBF", "secret/\xF4\x8F\xBF\xBF", false},
      {"NoBreakSpaceNotC1", "secret/a\u00A0b", "secret/a\u00A0b", false},
      // A '%' that does not start an escape is a literal character.
      {"PercentAtEnd", "secret/100%", "secret/100%", false},
      {"PercentThenLetters", "secret/50%off", "secret/50%off", false},
      {"PercentOneHexDigit", "secret/a%2", "secret/a%2", false},
      {"PercentNonHex", "secret/%zz", "secret/%zz", false},
      {"IisUnicodeEscapeIsLiteral", "secret/%u002e", "secret/%u002e", false},
      {"PlusIsLiteral", "secret/a+b", "secret/a+b", false},
      {"Spaces", "secret/ spaced name ", "secret/ spaced name ", false},
      {"QuestionMarkDecoded", "secret/a?b", "secret/a?b", false},
  };
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Paths, AcceptedPathTest, testing::ValuesIn(AcceptedCases()),
                         [](const testing::TestParamInfo<AcceptedCase>& info) {
                           return info.param.name;
                         });

TEST(PathNormalizeTest, HostileTableStaysLarge) {
  // The table is the evidence that every known path trick is refused
  // (docs/paths.md); a floor of 40 cases keeps it from quietly shrinking.
  EXPECT_GE(RefusedCases().size(), 40u);
}

TEST(PathNormalizeTest, ErrorDoesNotQuoteThePath) {
  // A path may carry a token (auth/token/lookup/<token>); errors must not echo it.
  const std::string secretish = "auth/token/lookup/hvs.SECRETTOKEN/..";
  auto result = NormalizePath(secretish);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message().find("SECRETTOKEN"), std::string::npos);
}

TEST(PathNormalizeTest, EveryRefusedCaseIsRefusedWithAnyPrefixOrSuffix) {
  // Hostile content must be refused wherever it sits in the path.
  for (const RefusedCase& c : RefusedCases()) {
    for (const std::string& wrapped : {"/" + c.decoded, "mount/" + c.decoded,
                                       "mount//" + c.decoded + "/", c.decoded + "/tail"}) {
      EXPECT_FALSE(NormalizePath(wrapped).ok()) << c.name;
    }
  }
}

}  // namespace
}  // namespace tresor::core
