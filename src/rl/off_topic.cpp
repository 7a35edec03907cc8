// Off-topic questions and the brief refusal the built-in model answers them with. Questions are
// templates filled with a subject; some mimic the real tasks' wording ("What is apple + pear?",
// "Sort these words: ...") so that the model learns to look at what is asked, not at the first
// words. The check: the answer line must be the refusal sentence.
#include <array>
#include <string>
#include <string_view>

#include "rl/answer.h"
#include "rl/task_kinds.h"

namespace fathom::rl::detail {
namespace {

constexpr std::string_view kRefusal =
    "Sorry, I can only solve arithmetic, Countdown and sorting problems.";

// {} in a template is replaced by a subject.
constexpr std::array<std::string_view, 28> kTemplates = {
    "What is the capital of {}?",
    "Who is {}?",
    "Tell me about {}.",
    "Write a poem about {}.",
    "Tell me a joke about {}.",
    "What do you think of {}?",
    "How do I cook {}?",
    "Can you explain {}?",
    "What is {}?",
    "Why is {} important?",
    "Translate \"{}\" into French.",
    "Write a short story about {}.",
    "Is {} good for my health?",
    "Where can I buy {}?",
    "What is the history of {}?",
    "Describe {} in three words.",
    "What is {} + {}?",
    "What is {} * 7?",
    "Sort these words: {}, apple, zebra.",
    "Use {} to make dinner.",
    "Give me advice about {}.",
    "How old is {}?",
    "What color is {}?",
    "Summarize the news about {}.",
    "Recommend a book about {}.",
    "Do you like {}?",
    "hello, what is {}",
    "{}?",
};

constexpr std::array<std::string_view, 48> kSubjects = {
    "France",      "the moon",     "pizza",        "music",       "love",        "the ocean",
    "Shakespeare", "a cat",        "philosophy",   "Python",      "the weather", "coffee",
    "football",    "history",      "gravity",      "my dog",      "Japan",       "chess",
    "a rainbow",   "democracy",    "the internet", "bread",       "Mars",        "a dragon",
    "poetry",      "money",        "the sun",      "a banana",    "friendship",  "winter",
    "Einstein",    "a volcano",    "rice",         "painting",    "the brain",   "a train",
    "tea",         "electricity",  "Paris",        "dinosaurs",   "yoga",        "a guitar",
    "the forest",  "cheese",       "sleep",        "a robot",     "the stars",   "soup",
};

// Whole questions with no subject: greetings and questions about the model itself.
constexpr std::array<std::string_view, 12> kStandalone = {
    "Hello!",
    "Hi, how are you?",
    "Who are you?",
    "What can you do?",
    "What is your name?",
    "Good morning.",
    "Thanks!",
    "What time is it?",
    "Tell me something interesting.",
    "What is the meaning of life?",
    "Can you write code?",
    "What day is today?",
};

std::string fill(std::string_view pattern, std::string_view subject) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.substr(i, 2) == "{}") {
      out += subject;
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace

Problem draw_off_topic(SplitMix64& rng) {
  Problem p;
  p.kind = TaskKind::kOffTopic;
  const uint64_t slots = kTemplates.size() * kSubjects.size() + kStandalone.size();
  const uint64_t pick = uint64_t(rng.range(0, int64_t(slots) - 1));
  if (pick < kStandalone.size()) {
    p.question = std::string(kStandalone[pick]);
  } else {
    const uint64_t i = pick - kStandalone.size();
    p.question = fill(kTemplates[i / kSubjects.size()], kSubjects[i % kSubjects.size()]);
  }
  p.answer = std::string(kRefusal);
  p.key = "offtopic " + p.question;
  p.solution = "<think>\nThis is not an arithmetic, Countdown or sorting problem.\n</think>\n" +
               p.answer;
  return p;
}

AnswerCheck check_off_topic(const Problem& p, std::string_view answer) {
  AnswerCheck r;
  r.answer = std::string(answer_line(answer));
  r.correct = r.answer == p.answer;
  if (!r.correct) r.note = "expected the refusal, got '" + r.answer + "'";
  return r;
}

}  // namespace fathom::rl::detail
