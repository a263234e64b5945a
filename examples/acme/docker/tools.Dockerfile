# ops toolbox: bad patterns — curl | sh, sudo, chmod 777, insecure RUN, named user then back to root.
FROM ubuntu:22.04
RUN apt-get update && apt-get install -y curl sudo && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://get.example.com/install.sh | sh
RUN --security=insecure mount -t tmpfs none /mnt
ADD https://example.com/tool.tar.gz /opt/
RUN chmod -R 777 /opt
RUN useradd -m ops
USER ops
RUN sudo apt-get update
USER root
