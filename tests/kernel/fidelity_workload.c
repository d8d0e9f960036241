/* One process tree doing what the kernel writes varied records for, for the
 * autrace-vs-kernel differential (autrace_vs_kernel.sh): opens (existing,
 * missing, created), fstat by fd and stat by name, a file mmap and an
 * anonymous one, a rename and an unlink, a directory made and removed, a
 * FIFO, a hard link, creates and removes by names relative to the cwd (whose
 * PARENT items the kernel writes as the cwd), cwd changes (cwd_changes below),
 * connects (unix to a missing path,
 * TCP to a closed loopback port), then a fork whose child drops a capability
 * from its bounding set (so that the kernel writes BPRM_FCAPS) and execs this program
 * again ("child"), which stats and exits. Single-threaded and deterministic:
 * the same syscalls in the same order every run.
 * Usage: fidelity_workload WORKDIR [child] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_MAC_OVERRIDE_ 32 /* linux/capability.h */

/* What can change the text of a cwd the engine caches (engine.bpf.c,
 * emit_cwd): a rename of an ancestor, a chdir by another task sharing the
 * fs_struct (CLONE_FS), an rmdir of the cwd. Each probe asks the kernel for
 * the cwd (getcwd: the same d_path as audit's CWD record, or ENOENT for a
 * removed one, which d_path writes with " (deleted)" after it), then stats
 * a name relative to the cwd, whose CWD record must show that text. The
 * answers go to DIR/cwds, one "NAME TEXT" line per probe (TEXT "ENOENT" when
 * getcwd refused), for the autrace kernel test. getcwd takes no name: the
 * kernel writes no PATH for it, so the comparison with the kernel's records
 * stays whole. */
static char cwds[16384];
static size_t cwds_len;

static void probe(const char *name)
{
	char text[4096];
	struct stat st;

	if (!getcwd(text, sizeof text))
		snprintf(text, sizeof text, "ENOENT");
	stat(name, &st);
	int w = snprintf(cwds + cwds_len, sizeof cwds - cwds_len, "%s %s\n", name, text);
	if (w > 0 && (size_t)w < sizeof cwds - cwds_len)
		cwds_len += w;
}

static int cwd_changes(const char *dir)
{
	char a[4096], b[4096];
	int here = open(".", O_RDONLY | O_DIRECTORY);

	if (here < 0)
		return 1;
	snprintf(a, sizeof a, "%s/anc", dir);
	mkdir(a, 0700);
	snprintf(a, sizeof a, "%s/anc/sub", dir);
	mkdir(a, 0700);
	if (chdir(a) != 0)
		return 1;
	probe("probe-first");
	probe("probe-again");
	snprintf(a, sizeof a, "%s/anc", dir);
	snprintf(b, sizeof b, "%s/anc2", dir);
	rename(a, b);
	probe("probe-ancestor-renamed");
	/* A task sharing this one's fs_struct moves the cwd of both. */
	long pid = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		_exit(chdir(b) == 0 ? 0 : 1);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	probe("probe-chdir-by-clone-fs");
	snprintf(a, sizeof a, "%s/gone", dir);
	mkdir(a, 0700);
	if (chdir(a) != 0)
		return 1;
	probe("probe-before-rmdir");
	rmdir(a);
	probe("probe-removed");
	if (fchdir(here) != 0)
		return 1;
	close(here);
	snprintf(a, sizeof a, "%s/anc2/sub", dir);
	rmdir(a);
	rmdir(b);
	snprintf(a, sizeof a, "%s/cwds", dir);
	int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, cwds, cwds_len) != (ssize_t)cwds_len)
		return 1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dir = argv[1];
	char a[4096], b[4096];
	struct stat st;

	if (argc > 2 && strcmp(argv[2], "child") == 0) {
		snprintf(a, sizeof a, "%s/renamed", dir);
		stat(a, &st);
		return 0;
	}
	int fd = open("/etc/hostname", O_RDONLY);
	if (fd >= 0) {
		fstat(fd, &st);
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED)
			munmap(m, 4096);
		close(fd);
	}
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon != MAP_FAILED)
		munmap(anon, 4096);
	snprintf(a, sizeof a, "%s/missing", dir);
	open(a, O_RDONLY);
	stat("/etc/passwd", &st);
	snprintf(a, sizeof a, "%s/created", dir);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, "x", 1) != 1)
			return 1;
		close(fd);
	}
	snprintf(b, sizeof b, "%s/renamed", dir);
	rename(a, b);
	snprintf(a, sizeof a, "%s/gone", dir);
	fd = open(a, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	unlink(a);

	/* Across directories, so that the two names' items tell which comes first. */
	char c[4096];
	snprintf(c, sizeof c, "%s/sub", dir);
	mkdir(c, 0700);
	snprintf(a, sizeof a, "%s/sub/fifo", dir);
	mknod(a, S_IFIFO | 0600, 0);
	snprintf(b, sizeof b, "%s/fifo2", dir);
	rename(a, b);
	unlink(b);
	snprintf(a, sizeof a, "%s/renamed", dir);
	snprintf(b, sizeof b, "%s/sub/hardlink", dir);
	link(a, b);
	unlink(b);
	rmdir(c);
	int here = open(".", O_RDONLY | O_DIRECTORY);
	if (here >= 0 && chdir(dir) == 0) {
		fd = open("rel", O_WRONLY | O_CREAT, 0600);
		if (fd >= 0)
			close(fd);
		mkdir("reldir", 0700);
		rmdir("reldir");
		unlink("rel");
		if (fchdir(here) != 0)
			return 1;
	}
	if (here >= 0)
		close(here);
	if (cwd_changes(dir))
		return 1;

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s/no-socket", dir);
	connect(s, (struct sockaddr *)&un, sizeof un);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(9) };
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	connect(s, (struct sockaddr *)&in, sizeof in);
	close(s);

	pid_t pid = fork();
	if (pid == 0) {
		/* Without CAP_MAC_OVERRIDE in its bounding set, root's exec no longer
		 * gets every capability: the kernel writes BPRM_FCAPS for it. */
		prctl(PR_CAPBSET_DROP, CAP_MAC_OVERRIDE_, 0, 0, 0);
		execl("/proc/self/exe", "fidelity_workload", dir, "child", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
