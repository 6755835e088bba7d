<?php
// The HorizontalPodAutoscaler walkthrough's page: a CPU-bound loop per request.
$x = 0.0001;
for ($i = 0; $i <= 1000000; $i++) {
  $x += sqrt($x);
}
echo "OK!";
