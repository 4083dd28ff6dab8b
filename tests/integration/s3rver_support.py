"""s3rver (npm) on loopback for the S3 tests: installed through
scripts/install-s3rver, started on a free port with one bucket in a
temporary directory, stopped by close()."""
import os
import shutil
import subprocess
import tempfile
import urllib.request

from harness import free_port, wait_for

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ACCESS, SECRET = "S3RVER", "S3RVER"  # s3rver's own credentials


class S3rver:
    def __init__(self, bucket="backups"):
        self.command = subprocess.run([os.path.join(REPO, "scripts", "install-s3rver")],
                                      check=True, capture_output=True, text=True,
                                      timeout=600).stdout.strip()
        self.bucket = bucket
        self.directory = tempfile.mkdtemp(prefix="s3rver-")
        self.port = free_port()
        self.proc = None
        self.start()

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.log = open(os.path.join(self.directory, "..", f"s3rver-{self.port}.log"), "a")
        self.proc = subprocess.Popen(
            [self.command, "-d", self.directory, "-a", "127.0.0.1", "-p", str(self.port),
             "--configure-bucket", self.bucket, "--no-vhost-buckets"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._answers, timeout=60, what="s3rver to listen")

    def _answers(self):
        try:
            urllib.request.urlopen(f"http://{self.endpoint}/", timeout=2)
            return True
        except urllib.error.HTTPError:
            return True  # answering, with an S3 error
        except OSError:
            return False

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
            self.log.close()

    def objects(self, prefix=""):
        """Object keys in the bucket, from s3rver's data directory."""
        root = os.path.join(self.directory, self.bucket)
        keys = []
        for path, _, files in os.walk(root):
            for name in files:
                if name.endswith("._S3rver_object"):
                    key = os.path.relpath(os.path.join(path, name[:-len("._S3rver_object")]),
                                          root)
                    if key.startswith(prefix):
                        keys.append(key)
        return sorted(keys)

    def close(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def config(self, **extra):
        body = {"storage_type": "aws-s3", "aws_s3_bucket": self.bucket,
                "aws_s3_endpoint": self.endpoint, "aws_s3_disable_tls": True,
                "aws_s3_force_path_style": True, "aws_access_key_id": ACCESS,
                "aws_secret_access_key": SECRET, "aws_s3_region": "us-east-1"}
        body.update(extra)
        return body
