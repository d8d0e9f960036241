/* One process tree doing what the kernel writes varied records for, for the
 * autrace-vs-kernel differential (autrace_vs_kernel.sh): opens (existing,
 * missing, created), fstat by fd and stat by name, a file mmap and an
 * anonymous one, a rename and an unlink, a directory made and removed, a
 * FIFO, a hard link, creates and removes by names relative to the cwd (whose
 * PARENT items the kernel writes as the cwd), connects (unix to a missing path,
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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_MAC_OVERRIDE_ 32 /* linux/capability.h */

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
