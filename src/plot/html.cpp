// The HTML page around the charts, and PNG output through rsvg-convert.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <sstream>

#include "plot/svg.hpp"
#include "slmroof/errors.hpp"
#include "slmroof/temp_files.hpp"
#include "slmroof/plot.hpp"

extern char** environ;

namespace slmroof {

namespace {

// The SVG element alone: an XML declaration has no place inside an HTML page.
std::string_view SvgElement(std::string_view svg) {
  if (svg.substr(0, 5) == "<?xml") {
    const size_t end = svg.find("?>");
    svg.remove_prefix(end == std::string_view::npos ? svg.size() : end + 2);
  }
  while (!svg.empty() && (svg.front() == '\n' || svg.front() == '\r' || svg.front() == ' ')) {
    svg.remove_prefix(1);
  }
  return svg;
}

constexpr const char* kCss =
    R"(body { font-family: sans-serif; color: #222; background: #fff; margin: 24px; max-width: 1400px; }
h1 { font-size: 22px; font-weight: bold; margin: 0 0 4px 0; }
p.subtitle { color: #555; margin: 0 0 16px 0; }
.summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 0 0 24px 0; }
.card { border: 1px solid #d5dde6; border-radius: 6px; padding: 10px 14px; background: #f5f8fb;
        min-width: 150px; }
.card .label { font-size: 12px; color: #555; }
.card .value { font-size: 18px; font-weight: bold; color: #1f4e79; margin-top: 2px; }
figure { margin: 0 0 28px 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0 0 28px 0; font-size: 13px; }
caption { text-align: left; font-weight: bold; padding: 0 0 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e2e2e2; text-align: left; white-space: nowrap; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #999; }
footer { color: #666; font-size: 12px; margin-top: 12px; }
)";

// The first executable `name` on PATH, or "".
std::string FindOnPath(const char* name) {
  const char* env = std::getenv("PATH");
  const std::string path = env != nullptr && *env != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    const std::string dir = end == start ? "." : path.substr(start, end - start);
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

std::string TempDir() {
  const char* t = std::getenv("TMPDIR");
  return t != nullptr && *t != '\0' ? t : "/tmp";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string HtmlReport(const HtmlPage& page) {
  using plot::Escape;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + Escape(page.title) + "</title>\n";
  out += std::string("<style>\n") + kCss + "</style>\n</head>\n<body>\n";
  out += "<h1>" + Escape(page.title) + "</h1>\n";
  if (!page.subtitle.empty()) {
    out += "<p class=\"subtitle\">" + Escape(page.subtitle) + "</p>\n";
  }
  if (!page.summary.empty()) {
    out += "<section class=\"summary\">\n";
    for (const auto& [label, value] : page.summary) {
      out += "<div class=\"card\"><div class=\"label\">" + Escape(label) +
             "</div><div class=\"value\">" + Escape(value) + "</div></div>\n";
    }
    out += "</section>\n";
  }
  for (const std::string& svg : page.svgs) {
    out += "<figure>\n";
    out += SvgElement(svg);
    if (out.back() != '\n') {
      out += '\n';
    }
    out += "</figure>\n";
  }
  for (const HtmlTable& t : page.tables) {
    out += "<table>\n";
    if (!t.caption.empty()) {
      out += "<caption>" + Escape(t.caption) + "</caption>\n";
    }
    out += "<thead><tr>";
    for (const std::string& h : t.header) {
      out += "<th>" + Escape(h) + "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    for (const std::vector<std::string>& row : t.rows) {
      const bool total = !row.empty() && row.front() == "total";
      out += total ? "<tr class=\"total\">" : "<tr>";
      for (size_t c = 0; c < row.size(); ++c) {
        const bool num = c < t.numeric.size() && t.numeric[c];
        out += (num ? "<td class=\"num\">" : "<td>") + Escape(row[c]) + "</td>";
      }
      out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
  if (!page.footer.empty()) {
    out += "<footer>" + Escape(page.footer) + "</footer>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string SvgBeside(const std::vector<std::string>& svgs) {
  // Each document is one of SvgWriter's: its root <svg> carries width and height.
  auto attribute = [](std::string_view element, std::string_view name) {
    const std::string key = fmt::format(" {}=\"", name);
    const size_t at = element.find(key);
    if (at == std::string_view::npos) {
      throw std::logic_error(fmt::format("SvgBeside: a document without {}", name));
    }
    const size_t start = at + key.size();
    return std::stod(std::string(element.substr(start, element.find('"', start) - start)));
  };
  double width = 0, height = 0;
  std::string inner;
  for (const std::string& svg : svgs) {
    const std::string_view element = SvgElement(svg);
    const std::string_view open = element.substr(0, element.find('>'));
    const double w = attribute(open, "width"), h = attribute(open, "height");
    // A nested <svg> placed at x: the documents stay whole, ids and all.
    inner += fmt::format("<svg x=\"{}\" y=\"0\"", plot::Num(width));
    inner += element.substr(4);
    if (inner.back() != '\n') {
      inner += '\n';
    }
    width += w;
    height = std::max(height, h);
  }
  plot::SvgWriter out(width, height);
  std::string doc = out.Finish();
  const size_t close = doc.rfind("</svg>");
  return doc.substr(0, close) + inner + doc.substr(close);
}

bool RasteriserAvailable() { return !FindOnPath("rsvg-convert").empty(); }

void SvgToPng(const std::string& svg, const std::string& png_path) {
  const std::string exe = FindOnPath("rsvg-convert");
  if (exe.empty()) {
    throw InputError(
        "PNG needs rsvg-convert (Debian package librsvg2-bin); install it or use --plot-format "
        "svg");
  }
  auto fail = [](const std::string& what, int err) {
    throw InputError(fmt::format("{}: {}", what, std::strerror(err)));
  };

  // The SVG goes through a temporary file; no path ever passes through a shell.
  std::string svg_name = TempDir() + "/slmroof-plot-XXXXXX.svg";
  const int svg_fd = mkstemps(svg_name.data(), 4);
  if (svg_fd < 0) {
    fail("cannot create a temporary file in " + TempDir(), errno);
  }
  TempFile svg_file(svg_name);
  for (size_t done = 0; done < svg.size();) {
    const ssize_t w = write(svg_fd, svg.data() + done, svg.size() - done);
    if (w < 0) {
      const int err = errno;
      close(svg_fd);
      fail("cannot write " + svg_name, err);
    }
    done += static_cast<size_t>(w);
  }
  close(svg_fd);

  std::string err_name = TempDir() + "/slmroof-plot-XXXXXX.err";
  const int err_fd = mkstemps(err_name.data(), 4);
  if (err_fd < 0) {
    fail("cannot create a temporary file in " + TempDir(), errno);
  }
  TempFile err_file(err_name);

  // The PNG is written beside its destination and renamed into place: whole or not at all.
  std::string out_name = png_path + ".XXXXXX";
  const int out_fd = mkstemp(out_name.data());
  if (out_fd < 0) {
    const int err = errno;
    close(err_fd);
    fail("cannot write " + png_path, err);
  }
  TempFile out_file(out_name);
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(out_fd, 0666 & ~mask);
  close(out_fd);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  std::string a0 = exe, a1 = "--format", a2 = "png", a3 = "--output";
  char* argv[] = {a0.data(),       a1.data(),       a2.data(), a3.data(),
                  out_name.data(), svg_name.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(err_fd);
  if (spawned != 0) {
    fail("cannot run " + exe, spawned);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fail("cannot wait for " + exe, errno);
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string message = Slurp(err_name);
    message = message.substr(0, message.find('\n'));
    if (message.empty()) {
      message = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                  : std::string("killed by a signal");
    }
    throw InputError(fmt::format("rsvg-convert could not render {}: {}", png_path, message));
  }
  if (std::rename(out_name.c_str(), png_path.c_str()) != 0) {
    fail("cannot write " + png_path, errno);
  }
  out_file.Release();
}

}  // namespace slmroof
