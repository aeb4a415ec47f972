#include "robustness/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <fmt/format.h>

namespace slmroof::robustness {

namespace {

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    files.push_back(it->path().lexically_relative(dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool HasTempFile(const std::string& dir) {
  for (const std::string& f : ListFiles(dir)) {
    if (f.find(".slmroof-") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Reads whatever is ready on `fd` into `out`; returns false at end of file.
bool Drain(int fd, std::string* out) {
  char buffer[65536];
  const ssize_t n = read(fd, buffer, sizeof buffer);
  if (n > 0) {
    out->append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && errno == EINTR;
}

}  // namespace

Outcome RunCase(const Case& c, int cpu_limit_s) {
  Outcome o;
  char dir_template[] = "/tmp/slmroof-robust-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  if (c.setup) {
    c.setup(dir);
  }
  o.files_before = ListFiles(dir);

  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    return o;
  }
  std::vector<std::string> args = {SLMROOF_BINARY};
  args.insert(args.end(), c.args.begin(), c.args.end());
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    // The child: its own directory, limits, and the stdout the case asks for.
    if (chdir(dir.c_str()) != 0) {
      _exit(126);
    }
    const rlim_t cpu = static_cast<rlim_t>(cpu_limit_s);
    const rlimit cpu_limit{cpu, cpu + 1};
    setrlimit(RLIMIT_CPU, &cpu_limit);
    const rlimit no_core{0, 0};  // SIGQUIT must not leave a core file behind either
    setrlimit(RLIMIT_CORE, &no_core);
    if (c.mode == Mode::kFileSizeLimit) {
      const rlimit fsize{4096, 4096};
      setrlimit(RLIMIT_FSIZE, &fsize);
    }
    // The test runner may ignore signals; the binary starts with the defaults.
    for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGXFSZ}) {
      signal(sig, SIG_DFL);
    }
    const int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    if (c.mode == Mode::kStdoutFull) {
      dup2(open("/dev/full", O_WRONLY), 1);
    } else if (c.mode == Mode::kStdoutClosed) {
      int closed[2];
      if (pipe(closed) != 0) {
        _exit(126);
      }
      close(closed[0]);  // no reader: every write fails with EPIPE (or raises SIGPIPE)
      dup2(closed[1], 1);
    } else {
      dup2(out_pipe[1], 1);
    }
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[0]);
    close(err_pipe[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  bool out_open = true;
  bool err_open = true;
  bool signalled = false;
  while (out_open || err_open) {
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    poll(fds, 2, 10);
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP)) != 0) {
      out_open = Drain(out_pipe[0], &o.out);
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
      err_open = Drain(err_pipe[0], &o.err);
    }
    if (c.mode == Mode::kSignalOnTempFile && !signalled && HasTempFile(dir)) {
      kill(pid, c.signal);
      signalled = true;
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  o.exited = WIFEXITED(status);
  o.exit_code = o.exited ? WEXITSTATUS(status) : -1;
  o.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  o.max_rss_kb = usage.ru_maxrss;
  o.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  o.files_after = ListFiles(dir);
  for (const std::string& f : o.files_after) {
    if (std::find(o.files_before.begin(), o.files_before.end(), f) == o.files_before.end()) {
      std::ifstream in(dir + "/" + f, std::ios::binary);
      o.new_file_texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  std::error_code ec;
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(dir, ec);
  return o;
}

namespace {

std::string Cell(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n') {
      out += "<br>";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string ShellWord(const std::string& a) {
  if (a.empty()) {
    return "''";
  }
  if (a.size() > 60) {
    return fmt::format("<{} bytes>", a.size());
  }
  bool plain = true;
  for (char ch : a) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (!(std::isalnum(u) || std::string_view("-_./=:,+%@").find(ch) != std::string_view::npos)) {
      plain = false;
    }
  }
  if (plain) {
    return a;
  }
  std::string out = "$'";
  for (char ch : a) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u >= 0x7F || ch == '\'' || ch == '\\') {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += ch;
    }
  }
  return out + "'";
}

}  // namespace

std::string MatrixMarkdown() {
  std::string md =
      "| # | class | what is wrong | command (run in a directory holding the files) | exit | "
      "stderr |\n|---|---|---|---|---|---|\n";
  int n = 0;
  for (const Case& c : Matrix()) {
    std::string cmd = "slmroof";
    for (const std::string& a : c.args) {
      cmd += ' ';
      cmd += ShellWord(a);
    }
    std::string exit = std::to_string(c.exit);
    if (c.mode == Mode::kSignalOnTempFile) {
      exit = fmt::format("killed by signal {}", c.exit);
    }
    md += fmt::format("| {} | {} | {} | `{}` | {} | {} |\n", ++n, Cell(c.klass), Cell(c.what),
                      Cell(cmd), exit,
                      c.message.empty()
                          ? std::string("(none)")
                          : fmt::format("`{}`", Cell(c.message.substr(0, c.message.size() - 1))));
  }
  return md;
}

}  // namespace slmroof::robustness
