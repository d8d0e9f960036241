/* A process tree for the autrace kernel test. Every process appends what it
 * did to a manifest (one line per action, written with a single O_APPEND
 * write), so the test compares records with what really happened:
 *
 *   root: open existing, open missing, create+write, rename, unlink, a thread
 *         that opens a missing file, fork -> child
 *   child (fork): opens a missing file, then execs this program as "exec-child"
 *   exec-child: opens a missing file, vfork -> grandchild execs /bin/true
 *
 * Usage: trace_target MANIFEST WORKDIR [exec-child]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *manifest;
static const char *workdir;

static void note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof line, "pid=%d ppid=%d ", getpid(), getppid());

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	int fd = open(manifest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, n) != n)
		_exit(90);
	close(fd);
}

/* Raw syscalls pin the syscall numbers the test expects. */
static long open_at(const char *path, int flags, int mode)
{
	return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static void open_existing(const char *path)
{
	long fd = open_at(path, O_RDONLY, 0);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		_exit(91);
	note("op=open nr=%d ret=%ld name=%s ino=%lu devmaj=%u devmin=%u", SYS_openat, fd, path,
	     (unsigned long)st.st_ino, major(st.st_dev), minor(st.st_dev));
	close(fd);
}

static void open_missing(const char *tag)
{
	char path[512];

	snprintf(path, sizeof path, "%s/missing-%s-%d", workdir, tag, getpid());
	long rc = open_at(path, O_RDONLY, 0);
	note("op=open-missing nr=%d ret=%ld name=%s", SYS_openat, rc < 0 ? -errno : rc, path);
}

static void *thread_main(void *arg)
{
	open_missing("thread");
	return NULL;
}

static int exec_child(void)
{
	open_missing("exec");
	pid_t pid = vfork();
	if (pid == 0) {
		execl("/bin/true", "true", "from-vfork", (char *)NULL);
		_exit(127);
	}
	note("op=vfork nr=%d ret=%d", SYS_vfork, pid);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 93;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	manifest = argv[1];
	workdir = argv[2];
	if (argc > 3 && !strcmp(argv[3], "exec-child"))
		return exec_child();

	open_existing("/etc/hostname");
	open_missing("root");

	char a[512], b[512];
	snprintf(a, sizeof a, "%s/created-%d", workdir, getpid());
	snprintf(b, sizeof b, "%s/renamed-%d", workdir, getpid());
	long fd = open_at(a, O_WRONLY | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return 94;
	note("op=create nr=%d ret=%ld name=%s", SYS_openat, fd, a);
	long n = syscall(SYS_write, fd, "hello autrace\n", 14);
	note("op=write nr=%d ret=%ld fd=%ld", SYS_write, n, fd);
	close(fd);
	long rc = syscall(SYS_rename, a, b);
	note("op=rename nr=%d ret=%ld name=%s name2=%s", SYS_rename, rc, a, b);
	rc = syscall(SYS_unlink, b);
	note("op=unlink nr=%d ret=%ld name=%s", SYS_unlink, rc, b);

	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
		return 95;

	pid_t pid = fork();
	if (pid == 0) {
		open_missing("fork");
		execl("/proc/self/exe", "trace_target", manifest, workdir, "exec-child", (char *)NULL);
		_exit(96);
	}
	note("op=fork ret=%d", pid);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 97;
}
