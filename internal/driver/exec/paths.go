package exec

import "strings"

// taskPaths rewrites host paths of the task's directories into the paths
// the task sees in its root: the client interpolates env, command and args
// with host paths (NOMAD_TASK_DIR = <alloc dir>/<task>/local), which do
// not exist inside the chroot, where the same directories are /local,
// /secrets, /tmp and /alloc.
type taskPaths struct {
	taskDir, sharedDir string // host paths: <task dir>, <alloc dir>/alloc
}

func newTaskPaths(allocDir, taskDir string) taskPaths {
	p := taskPaths{taskDir: strings.TrimRight(taskDir, "/")}
	if allocDir != "" {
		p.sharedDir = strings.TrimRight(allocDir, "/") + "/alloc"
	}
	return p
}

// rewrite replaces every host path of a task directory in s.
func (p taskPaths) rewrite(s string) string {
	if p.taskDir != "" && p.taskDir != "/" {
		s = replacePath(s, p.taskDir, "")
	}
	if p.sharedDir != "" {
		s = replacePath(s, p.sharedDir, "/alloc")
	}
	return s
}

// replacePath replaces dir where it stands as a whole path or a path's
// beginning (followed by '/', or ending the string or a word), so that
// "/a/task" does not rewrite "/a/task2".
func replacePath(s, dir, to string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, dir)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(dir)
		if end == len(s) || s[end] == '/' || s[end] == ' ' || s[end] == ':' || s[end] == ',' || s[end] == '"' || s[end] == '\'' {
			b.WriteString(s[:i])
			r := to
			if r == "" && (end == len(s) || s[end] != '/') {
				r = "/"
			}
			b.WriteString(r)
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

func (p taskPaths) env(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = p.rewrite(v)
	}
	return out
}

func (p taskPaths) list(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = p.rewrite(s)
	}
	return out
}
